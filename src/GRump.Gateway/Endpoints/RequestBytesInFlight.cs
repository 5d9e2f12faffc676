using System.Globalization;
using GRump.Gateway.Errors;
using GRump.Gateway.Hosting;
using Microsoft.Extensions.Options;

namespace GRump.Gateway.Endpoints;

/// <summary>
/// The bound on request bodies in memory (<see cref="GatewayOptions.MaxRequestBytesInFlight"/>): each door's body limit
/// caps one request, this caps them all together. A call takes a <see cref="Lease"/> for its body's bytes before it
/// reads the body (or as the body arrives, without a Content-Length) and gives it back when the call ends. Over the
/// bound it is refused at once with RESOURCE_EXHAUSTED: nothing of it was read or sent upstream, so a retry loses nothing.
/// One lock-free counter: the cost on the hot path is an interlocked add when the call starts and one when it ends.
/// </summary>
internal sealed class RequestBytesInFlight(IOptions<GatewayOptions> options)
{
    private readonly long _max = options.Value.MaxRequestBytesInFlight;
    private long _held;

    /// <summary>A lease of <paramref name="bytes"/> (0 is fine: it can grow), or RESOURCE_EXHAUSTED.</summary>
    public Lease Take(long bytes)
    {
        var lease = new Lease(this);
        lease.Grow(bytes);
        return lease;
    }

    private void Add(long bytes, long heldBefore)
    {
        var after = Interlocked.Add(ref _held, bytes);
        // A call alone (nothing else held) is always taken: its door's own limit caps it.
        if (after > _max && after - bytes - heldBefore > 0)
        {
            Interlocked.Add(ref _held, -bytes);
            throw new GatewayException(GatewayErrorKind.ResourceExhausted,
                string.Create(CultureInfo.InvariantCulture, $"The gateway holds {_max:N0} bytes of request bodies at most (Gateway:MaxRequestBytesInFlight) and is at that bound; retry shortly."))
            {
                Reason = "REQUEST_BYTES_IN_FLIGHT",
                RetryAfter = TimeSpan.FromSeconds(1),
            };
        }
    }

    /// <summary>One call's bytes; disposing gives them back (once).</summary>
    public sealed class Lease(RequestBytesInFlight owner) : IDisposable
    {
        private long _bytes;

        public long Bytes => _bytes;

        /// <summary>Holds <paramref name="bytes"/> more, or throws RESOURCE_EXHAUSTED (what was held stays held until disposed).</summary>
        public void Grow(long bytes)
        {
            if (bytes <= 0)
            {
                return;
            }

            owner.Add(bytes, _bytes);
            _bytes += bytes;
        }

        public void Dispose()
        {
            var bytes = Interlocked.Exchange(ref _bytes, 0);
            if (bytes > 0)
            {
                Interlocked.Add(ref owner._held, -bytes);
            }
        }
    }
}
