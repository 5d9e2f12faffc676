using System.Buffers;
using System.Text.Json;

namespace GRump.Gateway.Passthrough.Internal;

/// <summary>
/// Wraps the client's response body while a passthrough answer is copied into it, and reads the token usage out of the
/// bytes going by: an SSE stream line by line (the last <c>data:</c> event with a usage wins — OpenAI sends it in the
/// final chunk when <c>stream_options.include_usage</c> is set; the Responses API in <c>response.completed</c>), a JSON
/// body whole at the end (up to a bound). Every byte reaches the client unchanged and unbuffered.
/// </summary>
internal sealed class UsageObserver(Stream inner, bool eventStream, int maxJsonBytes) : Stream
{
    // An SSE line longer than this is not a usage event worth parsing (it is forwarded all the same).
    private const int MaxLineBytes = 1024 * 1024;

    private readonly ArrayBufferWriter<byte> _pending = new();
    private bool _overflow;

    /// <summary>The usage read so far (for SSE, the latest), or null.</summary>
    public (long Input, long Output)? Usage { get; private set; }

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    /// <summary>Reads the usage out of a whole JSON body (a Chat Completions, Completions, Embeddings or Responses object).</summary>
    public static (long Input, long Output)? ReadUsage(ReadOnlySpan<byte> json)
    {
        try
        {
            var reader = new Utf8JsonReader(json);
            using var document = JsonDocument.ParseValue(ref reader);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return null;
            }

            if (TryUsage(root, out var usage))
            {
                return usage;
            }

            // Responses API stream events carry the whole response object.
            return root.TryGetProperty("response", out var response) && response.ValueKind == JsonValueKind.Object && TryUsage(response, out usage) ? usage : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>Call once the copy ended: a JSON body is parsed now.</summary>
    public void Complete()
    {
        if (!eventStream && !_overflow && _pending.WrittenCount > 0)
        {
            Usage = ReadUsage(_pending.WrittenSpan);
        }
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        Observe(buffer);
        inner.Write(buffer);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Observe(buffer.Span);
        return inner.WriteAsync(buffer, cancellationToken);
    }

    public override void Flush() => inner.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    private static bool TryUsage(JsonElement owner, out (long Input, long Output) usage)
    {
        usage = default;
        if (!owner.TryGetProperty("usage", out var element) || element.ValueKind != JsonValueKind.Object)
        {
            return false;
        }

        if (!TryCount(element, "prompt_tokens", "input_tokens", out var input))
        {
            return false;
        }

        // Embeddings report no completion tokens: none were produced.
        TryCount(element, "completion_tokens", "output_tokens", out var output);
        usage = (input, output);
        return true;
    }

    private static bool TryCount(JsonElement usage, string name, string alternative, out long count)
    {
        count = 0;
        return (usage.TryGetProperty(name, out var value) || usage.TryGetProperty(alternative, out value))
            && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out count) && count >= 0;
    }

    private void Observe(ReadOnlySpan<byte> bytes)
    {
        if (!eventStream)
        {
            if (_overflow || _pending.WrittenCount + bytes.Length > maxJsonBytes)
            {
                _overflow = true;
                return;
            }

            _pending.Write(bytes);
            return;
        }

        while (bytes.Length > 0)
        {
            var newline = bytes.IndexOf((byte)'\n');
            if (newline < 0)
            {
                Append(bytes);
                return;
            }

            Append(bytes[..newline]);
            if (!_overflow)
            {
                OnLine(_pending.WrittenSpan);
            }

            _pending.ResetWrittenCount();
            _overflow = false;
            bytes = bytes[(newline + 1)..];
        }
    }

    private void Append(ReadOnlySpan<byte> part)
    {
        if (_overflow || _pending.WrittenCount + part.Length > MaxLineBytes)
        {
            _overflow = true;
            return;
        }

        _pending.Write(part);
    }

    private void OnLine(ReadOnlySpan<byte> line)
    {
        line = line.TrimEnd((byte)'\r');
        if (!line.StartsWith("data:"u8) || line.IndexOf("usage"u8) < 0)
        {
            return;
        }

        if (ReadUsage(line["data:".Length..].TrimStart((byte)' ')) is { } usage)
        {
            Usage = usage;
        }
    }
}
