using System.Buffers.Binary;
using System.Text;
using GRump.Gateway.Providers;

namespace GRump.Gateway.Caching;

/// <summary>
/// A chat answer as the cache keeps it: who produced it, its usage and cost, and the text as the original list of
/// stream chunks, so a replay re-streams with the same chunking (a non-streamed completion is one chunk). Store a
/// stream only after its End event arrived: a cut stream must never become a cached answer.
/// </summary>
public sealed record CachedCompletion
{
    private const byte Magic = (byte)'C';
    private const byte Version = 1;

    public required string Model { get; init; }

    public required string Provider { get; init; }

    public required string FinishReason { get; init; }

    public ProviderUsage Usage { get; init; }

    /// <summary>What the upstream call cost (USD); a hit saves this much.</summary>
    public double CostUsd { get; init; }

    /// <summary>The answer's text, chunk by chunk as the upstream streamed it.</summary>
    public required IReadOnlyList<string> Chunks { get; init; }

    /// <summary>The whole answer.</summary>
    public string Content => Chunks.Count == 1 ? Chunks[0] : string.Concat(Chunks);

    /// <summary>A non-streamed completion: one chunk.</summary>
    public static CachedCompletion FromCompletion(string model, string provider, ChatCompletion completion, double costUsd)
    {
        ArgumentNullException.ThrowIfNull(completion);
        return new CachedCompletion
        {
            Model = model,
            Provider = provider,
            FinishReason = completion.FinishReason,
            Usage = completion.Usage,
            CostUsd = costUsd,
            Chunks = [completion.Content],
        };
    }

    /// <summary>The events a provider would have streamed: one Delta per chunk, then End.</summary>
    public IEnumerable<ChatStreamEvent> ToStreamEvents()
    {
        foreach (var chunk in Chunks)
        {
            yield return ChatStreamEvent.Delta(chunk);
        }

        yield return ChatStreamEvent.End(FinishReason, Usage);
    }

    /// <summary>The completion as a non-streamed answer.</summary>
    public ChatCompletion ToCompletion() => new(Content, FinishReason, Usage);

    /// <summary>Compact binary: magic, version, length-prefixed UTF-8 strings, little-endian numbers.</summary>
    public byte[] Serialize()
    {
        var size = 2 + Measure(Model) + Measure(Provider) + Measure(FinishReason) + 8 + 8 + 1 + 8 + 4;
        foreach (var chunk in Chunks)
        {
            size += Measure(chunk);
        }

        var bytes = new byte[size];
        var span = bytes.AsSpan();
        span[0] = Magic;
        span[1] = Version;
        var position = 2;
        WriteString(span, ref position, Model);
        WriteString(span, ref position, Provider);
        WriteString(span, ref position, FinishReason);
        BinaryPrimitives.WriteInt64LittleEndian(span[position..], Usage.InputTokens);
        BinaryPrimitives.WriteInt64LittleEndian(span[(position + 8)..], Usage.OutputTokens);
        span[position + 16] = Usage.Estimated ? (byte)1 : (byte)0;
        BinaryPrimitives.WriteDoubleLittleEndian(span[(position + 17)..], CostUsd);
        BinaryPrimitives.WriteInt32LittleEndian(span[(position + 25)..], Chunks.Count);
        position += 29;
        foreach (var chunk in Chunks)
        {
            WriteString(span, ref position, chunk);
        }

        return bytes;
    }

    /// <summary>Reads <see cref="Serialize"/>'s output; throws <see cref="FormatException"/> on anything else.</summary>
    public static CachedCompletion Deserialize(ReadOnlySpan<byte> data)
    {
        if (data.Length < 2 || data[0] != Magic || data[1] != Version)
        {
            throw new FormatException("Not a cached completion of this version.");
        }

        var position = 2;
        var model = ReadString(data, ref position);
        var provider = ReadString(data, ref position);
        var finishReason = ReadString(data, ref position);
        Need(data, position, 29);
        var usage = new ProviderUsage(
            BinaryPrimitives.ReadInt64LittleEndian(data[position..]),
            BinaryPrimitives.ReadInt64LittleEndian(data[(position + 8)..]),
            data[position + 16] == 1);
        var cost = BinaryPrimitives.ReadDoubleLittleEndian(data[(position + 17)..]);
        var count = BinaryPrimitives.ReadInt32LittleEndian(data[(position + 25)..]);
        position += 29;
        // Every chunk takes at least its 4-byte length: a count beyond that is corrupt, not a reason to allocate.
        if (count < 0 || count > (data.Length - position) / 4)
        {
            throw new FormatException("Corrupt chunk count in a cached completion.");
        }

        var chunks = new string[count];
        for (var i = 0; i < count; i++)
        {
            chunks[i] = ReadString(data, ref position);
        }

        if (position != data.Length)
        {
            throw new FormatException("Trailing bytes after a cached completion.");
        }

        return new CachedCompletion { Model = model, Provider = provider, FinishReason = finishReason, Usage = usage, CostUsd = cost, Chunks = chunks };
    }

    private static int Measure(string value) => 4 + Encoding.UTF8.GetByteCount(value);

    private static void WriteString(Span<byte> span, ref int position, string value)
    {
        var written = Encoding.UTF8.GetBytes(value, span[(position + 4)..]);
        BinaryPrimitives.WriteInt32LittleEndian(span[position..], written);
        position += 4 + written;
    }

    private static string ReadString(ReadOnlySpan<byte> data, ref int position)
    {
        Need(data, position, 4);
        var length = BinaryPrimitives.ReadInt32LittleEndian(data[position..]);
        if (length < 0)
        {
            throw new FormatException("Negative string length in a cached completion.");
        }

        Need(data, position + 4, length);
        var value = Encoding.UTF8.GetString(data.Slice(position + 4, length));
        position += 4 + length;
        return value;
    }

    private static void Need(ReadOnlySpan<byte> data, int position, int count)
    {
        if (count > data.Length - position)
        {
            throw new FormatException("A cached completion ends early.");
        }
    }
}
