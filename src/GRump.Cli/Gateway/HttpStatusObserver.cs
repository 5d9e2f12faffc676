using System.Runtime.CompilerServices;

namespace GRump.Cli.Gateway;

/// <summary>
/// Tells the retry policy which HTTP status answered a call. A proxy or load balancer in front of the gateway may answer
/// a plain HTTP 500 without a gRPC status, which the gRPC client reports as UNKNOWN; the retry rule (HTTP 5xx) needs
/// the status itself. The attempt's box flows with the call (the client starts the HTTP request inside the attempt).
/// </summary>
internal static class HttpStatusObserver
{
    private static readonly AsyncLocal<StrongBox<int>?> Current = new();

    /// <summary>A fresh box for one attempt; it holds the HTTP status of the response once the headers arrived (0 before).</summary>
    public static StrongBox<int> Begin()
    {
        var box = new StrongBox<int>();
        Current.Value = box;
        return box;
    }

    /// <summary>The handler under the gRPC channel that fills the current attempt's box.</summary>
    internal sealed class Handler(HttpMessageHandler inner) : DelegatingHandler(inner)
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var box = Current.Value;
            var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
            if (box is not null)
            {
                box.Value = (int)response.StatusCode;
            }
            return response;
        }
    }
}
