using System.IO.Compression;
using Grpc.Core;
using Grpc.Net.Compression;

namespace GRump.Gateway.Endpoints.Internal;

/// <summary>
/// Wraps one of grpc-dotnet's compression providers (gzip, deflate) so that a request frame whose compressed bytes are
/// corrupt is answered INTERNAL ("could not be decompressed") and logged at Information, like a frame that does not
/// deserialize (<see cref="RequestFrameGuard"/>): grpc-dotnet decompresses before deserializing, outside every
/// interceptor, and lets the decoder's InvalidDataException through as UNKNOWN with an Error and a stack trace.
/// </summary>
internal sealed partial class GuardedCompressionProvider(ICompressionProvider inner, ILogger logger) : ICompressionProvider
{
    public string EncodingName => inner.EncodingName;

    public Stream CreateCompressionStream(Stream stream, CompressionLevel? compressionLevel) => inner.CreateCompressionStream(stream, compressionLevel);

    public Stream CreateDecompressionStream(Stream stream) => new GuardedStream(inner.CreateDecompressionStream(stream), this);

    private RpcException Corrupt(Exception ex)
    {
        var reason = ex.Message.ReplaceLineEndings(" ");
        NotDecompressed(logger, EncodingName, reason);
        return new RpcException(new Status(StatusCode.Internal, $"The request message could not be decompressed ({EncodingName}): {reason}"));
    }

    [LoggerMessage(2, LogLevel.Information, "A request message could not be decompressed ({Encoding}): {Reason}")]
    private static partial void NotDecompressed(ILogger logger, string encoding, string reason);

    /// <summary>Reads through the decoder; what it cannot decode becomes the RpcException above.</summary>
    private sealed class GuardedStream(Stream decoder, GuardedCompressionProvider owner) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            try
            {
                return decoder.Read(buffer);
            }
            catch (InvalidDataException ex)
            {
                throw owner.Corrupt(ex);
            }
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            try
            {
                return await decoder.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            }
            catch (InvalidDataException ex)
            {
                throw owner.Corrupt(ex);
            }
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                decoder.Dispose();
            }
            base.Dispose(disposing);
        }
    }
}
