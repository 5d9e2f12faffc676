using System.Buffers;
using System.IO.Pipelines;
using GRump.Gateway.Errors;

namespace GRump.Gateway.Providers.Internal;

/// <summary>
/// Reads server-sent events from an upstream body without a string per event: lines are found in the pipe's pooled
/// segments and each event's <c>data</c> is copied into one reused, pooled buffer for the JSON reader. <c>event:</c> names
/// are kept as bytes. Comments and other fields are skipped; an event larger than 1 MiB is an upstream fault.
/// </summary>
internal sealed class SseReader : IAsyncDisposable
{
    private const int MaxEventBytes = 1 << 20;
    private static ReadOnlySpan<byte> DataField => "data"u8;
    private static ReadOnlySpan<byte> EventField => "event"u8;

    private readonly PipeReader _reader;
    private byte[] _data = ArrayPool<byte>.Shared.Rent(4096);
    private int _dataLength;
    private readonly byte[] _event = new byte[64];
    private int _eventLength;

    public SseReader(Stream body) => _reader = PipeReader.Create(body, new StreamPipeReaderOptions(minimumReadSize: 4096, leaveOpen: true));

    /// <summary>The current event's data (lines joined by <c>\n</c>).</summary>
    public ReadOnlySpan<byte> Data => _data.AsSpan(0, _dataLength);

    /// <summary>The current event's type (empty when the event has no <c>event:</c> line).</summary>
    public ReadOnlySpan<byte> EventType => _event.AsSpan(0, _eventLength);

    /// <summary>Moves to the next event; false at the end of the body (a partial last event is discarded, as SSE says).</summary>
    public async ValueTask<bool> MoveNextAsync(CancellationToken cancellationToken)
    {
        _dataLength = 0;
        _eventLength = 0;
        var hasFields = false;
        while (true)
        {
            var result = await _reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = result.Buffer;
            while (TryReadLine(ref buffer, out var line))
            {
                if (line.IsEmpty)
                {
                    if (hasFields)
                    {
                        _reader.AdvanceTo(buffer.Start);
                        return true;
                    }
                    continue;
                }
                hasFields |= Accept(line);
            }
            if (result.IsCompleted)
            {
                _reader.AdvanceTo(buffer.End);
                return false;
            }
            if (buffer.Length > MaxEventBytes)
            {
                throw new GatewayException(GatewayErrorKind.Unavailable, "An upstream stream event exceeded 1 MiB.") { Reason = "UPSTREAM_PROTOCOL" };
            }
            _reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _reader.CompleteAsync().ConfigureAwait(false);
        var data = _data;
        _data = [];
        if (data.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(data);
        }
    }

    private static bool TryReadLine(ref ReadOnlySequence<byte> buffer, out ReadOnlySequence<byte> line)
    {
        var newline = buffer.PositionOf((byte)'\n');
        if (newline is null)
        {
            line = default;
            return false;
        }
        line = buffer.Slice(0, newline.Value);
        if (!line.IsEmpty && EndsWithCarriageReturn(line))
        {
            line = line.Slice(0, line.Length - 1);
        }
        buffer = buffer.Slice(buffer.GetPosition(1, newline.Value));
        return true;
    }

    private static bool EndsWithCarriageReturn(in ReadOnlySequence<byte> line) =>
        line.IsSingleSegment ? line.FirstSpan[^1] == (byte)'\r' : line.Slice(line.Length - 1).FirstSpan[0] == (byte)'\r';

    /// <summary>Takes one field line; true when it was a field of the event (data or event).</summary>
    private bool Accept(in ReadOnlySequence<byte> line)
    {
        Span<byte> head = stackalloc byte[6];
        var headLength = (int)Math.Min(head.Length, line.Length);
        line.Slice(0, headLength).CopyTo(head);
        if (head[0] == (byte)':')
        {
            return false;
        }
        if (head[..headLength].StartsWith(DataField) && (headLength == 4 || head[4] == (byte)':'))
        {
            AppendData(line.Length <= 5 ? default : line.Slice(head[5] == (byte)' ' ? 6 : 5));
            return true;
        }
        if (headLength == 6 && head[..5].SequenceEqual(EventField) && head[5] == (byte)':')
        {
            var value = line.Slice(6);
            if (!value.IsEmpty && value.FirstSpan[0] == (byte)' ')
            {
                value = value.Slice(1);
            }
            _eventLength = (int)Math.Min(value.Length, _event.Length);
            value.Slice(0, _eventLength).CopyTo(_event);
            return true;
        }
        return false;
    }

    private void AppendData(in ReadOnlySequence<byte> value)
    {
        var needed = _dataLength + (_dataLength > 0 ? 1 : 0) + (int)value.Length;
        if (needed > MaxEventBytes)
        {
            throw new GatewayException(GatewayErrorKind.Unavailable, "An upstream stream event exceeded 1 MiB.") { Reason = "UPSTREAM_PROTOCOL" };
        }
        if (needed > _data.Length)
        {
            var larger = ArrayPool<byte>.Shared.Rent(Math.Max(needed, _data.Length * 2));
            _data.AsSpan(0, _dataLength).CopyTo(larger);
            ArrayPool<byte>.Shared.Return(_data);
            _data = larger;
        }
        if (_dataLength > 0)
        {
            _data[_dataLength++] = (byte)'\n';
        }
        value.CopyTo(_data.AsSpan(_dataLength));
        _dataLength += (int)value.Length;
    }
}
