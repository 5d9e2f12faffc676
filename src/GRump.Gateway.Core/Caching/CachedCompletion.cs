using System.Buffers.Binary;
using System.Text;
using GRump.Gateway.Chat;

namespace GRump.Gateway.Caching;

/// <summary>
/// A chat answer as the cache keeps it: who produced it, its usage and cost, and the answer's deltas (text, reasoning,
/// tool calls) in the order the upstream sent them, so a replay streams the same events with the same chunking (a
/// non-streamed completion is one text delta). Only an answer that ended cleanly is stored (Chat/ChatCacheStore).
/// </summary>
public sealed record CachedCompletion
{
    private const byte Magic = (byte)'C';
    private const byte Version = 2;
    private const byte TextKind = 1;
    private const byte ReasoningKind = 2;
    private const byte ToolCallKind = 3;

    public required string Model { get; init; }

    public required string Provider { get; init; }

    public required string FinishReason { get; init; }

    public TokenUsage Usage { get; init; }

    /// <summary>What the upstream call cost (USD); a hit saves this much.</summary>
    public double CostUsd { get; init; }

    /// <summary>The answer: <see cref="TextDelta"/>, <see cref="ReasoningDelta"/> and <see cref="ToolCallDelta"/> events.</summary>
    public required IReadOnlyList<ChatEvent> Deltas { get; init; }

    /// <summary>The answer's whole text.</summary>
    public string Content
    {
        get
        {
            var builder = new ChatAnswerBuilder();
            for (var deltaIndex = 0; deltaIndex < Deltas.Count; deltaIndex++)
            {
                var delta = Deltas[deltaIndex];
                builder.Add(delta);
            }

            return builder.Text;
        }
    }

    /// <summary>The events a provider would have streamed: the deltas, then the end with the original usage.</summary>
    public IEnumerable<ChatEvent> ToEvents()
    {
        for (var deltaIndex = 0; deltaIndex < Deltas.Count; deltaIndex++)
        {
            var delta = Deltas[deltaIndex];
            yield return delta;
        }

        yield return new ChatEnded(FinishReason, Usage);
    }

    /// <summary>Compact binary: magic, version, length-prefixed UTF-8 strings, little-endian numbers, one tagged record per delta.</summary>
    public byte[] Serialize()
    {
        var size = 2 + Measure(Model) + Measure(Provider) + Measure(FinishReason) + (6 * 8) + 1 + 8 + 4;
        for (var deltaIndex = 0; deltaIndex < Deltas.Count; deltaIndex++)
        {
            var delta = Deltas[deltaIndex];
            size += 1 + delta switch
            {
                TextDelta text => Measure(text.Text),
                ReasoningDelta reasoning => Measure(reasoning.Text) + Measure(reasoning.Signature),
                ToolCallDelta call => 4 + Measure(call.Id) + Measure(call.Name) + Measure(call.Arguments),
                _ => throw new InvalidOperationException($"A {delta.GetType().Name} is not part of an answer."),
            };
        }

        var bytes = new byte[size];
        var span = bytes.AsSpan();
        span[0] = Magic;
        span[1] = Version;
        var position = 2;
        WriteString(span, ref position, Model);
        WriteString(span, ref position, Provider);
        WriteString(span, ref position, FinishReason);
        foreach (var value in (ReadOnlySpan<long>)[Usage.InputTokens, Usage.OutputTokens, Usage.CacheReadTokens, Usage.CacheWriteTokens, Usage.CacheWrite1hTokens, Usage.ReasoningTokens])
        {
            BinaryPrimitives.WriteInt64LittleEndian(span[position..], value);
            position += 8;
        }

        span[position++] = Usage.Estimated ? (byte)1 : (byte)0;
        BinaryPrimitives.WriteDoubleLittleEndian(span[position..], CostUsd);
        BinaryPrimitives.WriteInt32LittleEndian(span[(position + 8)..], Deltas.Count);
        position += 12;
        for (var deltaIndex = 0; deltaIndex < Deltas.Count; deltaIndex++)
        {
            var delta = Deltas[deltaIndex];
            switch (delta)
            {
                case TextDelta text:
                    span[position++] = TextKind;
                    WriteString(span, ref position, text.Text);
                    break;
                case ReasoningDelta reasoning:
                    span[position++] = ReasoningKind;
                    WriteString(span, ref position, reasoning.Text);
                    WriteString(span, ref position, reasoning.Signature);
                    break;
                case ToolCallDelta call:
                    span[position++] = ToolCallKind;
                    BinaryPrimitives.WriteInt32LittleEndian(span[position..], call.Index);
                    position += 4;
                    WriteString(span, ref position, call.Id);
                    WriteString(span, ref position, call.Name);
                    WriteString(span, ref position, call.Arguments);
                    break;
                default:
                    break;
            }
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
        Need(data, position, (6 * 8) + 1 + 8 + 4);
        Span<long> numbers = stackalloc long[6];
        for (var i = 0; i < numbers.Length; i++)
        {
            numbers[i] = BinaryPrimitives.ReadInt64LittleEndian(data[position..]);
            position += 8;
        }

        var usage = new TokenUsage(numbers[0], numbers[1], data[position++] == 1)
        {
            CacheReadTokens = numbers[2],
            CacheWriteTokens = numbers[3],
            CacheWrite1hTokens = numbers[4],
            ReasoningTokens = numbers[5],
        };
        var cost = BinaryPrimitives.ReadDoubleLittleEndian(data[position..]);
        var count = BinaryPrimitives.ReadInt32LittleEndian(data[(position + 8)..]);
        position += 12;

        // Every delta takes at least a tag and a 4-byte length: a count beyond that is corrupt, not a reason to allocate.
        if (count < 0 || count > (data.Length - position) / 5)
        {
            throw new FormatException("Corrupt delta count in a cached completion.");
        }

        var deltas = new ChatEvent[count];
        for (var i = 0; i < count; i++)
        {
            Need(data, position, 1);
            deltas[i] = data[position++] switch
            {
                TextKind => new TextDelta(ReadString(data, ref position)),
                ReasoningKind => new ReasoningDelta(ReadString(data, ref position), ReadString(data, ref position)),
                ToolCallKind => ReadToolCall(data, ref position),
                _ => throw new FormatException("Unknown delta kind in a cached completion."),
            };
        }

        if (position != data.Length)
        {
            throw new FormatException("Trailing bytes after a cached completion.");
        }

        return new CachedCompletion { Model = model, Provider = provider, FinishReason = finishReason, Usage = usage, CostUsd = cost, Deltas = deltas };
    }

    private static ToolCallDelta ReadToolCall(ReadOnlySpan<byte> data, ref int position)
    {
        Need(data, position, 4);
        var index = BinaryPrimitives.ReadInt32LittleEndian(data[position..]);
        position += 4;
        if (index < 0)
        {
            throw new FormatException("Negative tool call index in a cached completion.");
        }

        return new ToolCallDelta(index, ReadString(data, ref position), ReadString(data, ref position), ReadString(data, ref position));
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
