using System.Buffers;
using System.Buffers.Text;
using System.Globalization;
using System.Text;
using System.Text.Json;
using GRump.Gateway.Embeddings;
using GRump.Gateway.Embeddings.Internal;

namespace GRump.Gateway.Tests.Embeddings;

/// <summary>
/// The embedding number codec against the runtime's own: the same bytes as <see cref="Utf8Formatter"/> and the same
/// floats as <see cref="Utf8Parser"/>, on random bit patterns, on values where embeddings live, and on the edges of the
/// fast paths (which fall back to the runtime). A one-off run of the writer over every finite float (4,278,190,080 of them, 2026-12-06) found no difference.
/// </summary>
public sealed class FloatTextTests
{
    private static readonly float[] Edges =
    [
        0f, -0f, 1f, -1f, 0.1f, 0.5f, 1e-4f, -1e-4f, 1.5e-4f, 9.9e-5f, 1e-5f, 0.001f, 123456.7f, 1234567.8f, 9999999f,
        16777215f, 16777216f, 33554432f, 1e8f, float.MaxValue, float.MinValue, float.Epsilon, 1.17549435e-38f,
        5.9604645e-8f, 5.96e-8f, 2.9802322e-8f, 8388608f, 8388607.5f, 0.30000001f, 3.4e38f,
        BitConverter.UInt32BitsToSingle(0x3380_0000), BitConverter.UInt32BitsToSingle(0x337F_FFFF), // 2^-24 and just under
        BitConverter.UInt32BitsToSingle(0x4B80_0000), BitConverter.UInt32BitsToSingle(0x4B7F_FFFF), // 2^24 and just under
    ];

    [Fact]
    public void TryFormat_EdgesAndRandomValues_SameBytesAsTheRuntime()
    {
        // Arrange: edges; few-bit values k / 2^j, whose interval's ends are often exact (the rare path); random bit
        // patterns; and values of an embedding's size (±1e-9 … ±1e7)
        var random = new Random(20261206);
        var values = new List<float>(Edges);
        for (var k = 1; k <= 4096; k++)
        {
            for (var j = 0; j <= 40; j++)
            {
                values.Add(MathF.ScaleB(k, -j));
            }
        }

        for (var i = 0; i < 1_000_000; i++)
        {
            values.Add(BitConverter.UInt32BitsToSingle((uint)random.NextInt64(0, 1L << 32)));
            values.Add((float)((random.NextDouble() * 2 - 1) * Math.Pow(10, random.Next(-9, 8))));
        }

        // Act + Assert
        Span<byte> mine = stackalloc byte[32];
        Span<byte> runtime = stackalloc byte[32];
        var differ = new List<string>();
        foreach (var value in values.Where(float.IsFinite))
        {
            Assert.True(FloatText.TryFormat(value, mine, out var written));
            Assert.True(Utf8Formatter.TryFormat(value, runtime, out var expected));
            if (!mine[..written].SequenceEqual(runtime[..expected]) && differ.Count < 10)
            {
                differ.Add($"{BitConverter.SingleToUInt32Bits(value):X8}: {Encoding.ASCII.GetString(mine[..written])} vs {Encoding.ASCII.GetString(runtime[..expected])}");
            }
        }

        Assert.Empty(differ);
    }

    [Fact]
    public void TryParse_ShortestNineDigitMidpointAndRandomTexts_SameFloatAsTheRuntime()
    {
        // Arrange
        var random = new Random(61202026);
        var texts = new List<string> { "0", "-0", "0.0", "3.4028235e38", "1e-46", "1.17549435e-38", "1e-38", "0e5", "1E+2", "-2.5e-3" };
        for (var i = 0; i < 200_000; i++)
        {
            var value = BitConverter.UInt32BitsToSingle((uint)random.NextInt64(0, 1L << 32));
            if (!float.IsFinite(value))
            {
                continue;
            }

            texts.Add(value.ToString("R", CultureInfo.InvariantCulture));
            texts.Add(value.ToString("G9", CultureInfo.InvariantCulture));
            texts.Add(((double)value).ToString("R", CultureInfo.InvariantCulture));
            var next = BitConverter.UInt32BitsToSingle(BitConverter.SingleToUInt32Bits(value) + 1);
            if (float.IsFinite(next))
            {
                // Exactly halfway between two floats: the fast path must hand these to the runtime.
                texts.Add((((double)value + next) / 2).ToString("R", CultureInfo.InvariantCulture));
            }

            texts.Add(RandomNumberText(random));
        }

        // Act + Assert
        var differ = new List<string>();
        foreach (var text in texts)
        {
            var utf8 = Encoding.ASCII.GetBytes(text);
            var mine = FloatText.TryParse(utf8, out var value);
            var runtime = Utf8Parser.TryParse(utf8, out float expected, out var consumed) && consumed == utf8.Length && float.IsFinite(expected);
            if ((mine != runtime || (mine && BitConverter.SingleToUInt32Bits(value) != BitConverter.SingleToUInt32Bits(expected))) && differ.Count < 10)
            {
                differ.Add($"{text}: {mine} {value:R} vs {runtime} {expected:R}");
            }
        }

        Assert.Empty(differ);
    }

    [Theory]
    [InlineData(99_999, "1e100010")]   // a capped exponent must not land in the fast path's range
    [InlineData(99_990, "25e100005")]
    [InlineData(10, "1e-1000000000000")]
    public void TryParse_HugeExponentAgainstLongZeros_SameFloatAsTheRuntime(int zeros, string tail)
    {
        // Arrange
        var utf8 = Encoding.ASCII.GetBytes("-0." + new string('0', zeros) + tail);

        // Act
        var mine = FloatText.TryParse(utf8, out var value);
        var runtime = Utf8Parser.TryParse(utf8, out float expected, out var consumed) && consumed == utf8.Length && float.IsFinite(expected);

        // Assert
        Assert.Equal(runtime, mine);
        Assert.Equal(BitConverter.SingleToUInt32Bits(expected), mine ? BitConverter.SingleToUInt32Bits(value) : BitConverter.SingleToUInt32Bits(expected));
    }

    [Theory]
    [InlineData("")]
    [InlineData("-")]
    [InlineData("01")]
    [InlineData("-01.5")]
    [InlineData("1.")]
    [InlineData(".5")]
    [InlineData("+1")]
    [InlineData("1e")]
    [InlineData("1e+")]
    [InlineData(" 1")]
    [InlineData("1 ")]
    [InlineData("0x10")]
    [InlineData("NaN")]
    [InlineData("Infinity")]
    [InlineData("1e39")]
    [InlineData("-3.5e38")]
    [InlineData("1e100000")]
    [InlineData("1.5.5")]
    public void TryParse_NotAFiniteJsonNumber_False(string text)
    {
        Assert.False(FloatText.TryParse(Encoding.ASCII.GetBytes(text), out _));
    }

    [Theory]
    [InlineData("[]", new float[0])]
    [InlineData("[ ]", new float[0])]
    [InlineData("[1,-0.5,2e-3]", new[] { 1f, -0.5f, 2e-3f })]
    [InlineData("[ 0.25 ,\n\t-1 \r\n]", new[] { 0.25f, -1f })]
    public void TryReadArray_NumbersAndWhitespace_ReadsThemAndFindsTheEnd(string json, float[] expected)
    {
        // Arrange: a pool array smaller than the input, so it has to grow
        var text = Encoding.ASCII.GetBytes("x" + json + "}");
        var values = ArrayPool<float>.Shared.Rent(1);

        // Act
        var end = FloatText.TryReadArray(text, 1, ref values, out var count);

        // Assert
        Assert.Equal(text.Length - 2, end);
        Assert.Equal(expected, values.AsSpan(0, count).ToArray());
        ArrayPool<float>.Shared.Return(values);
    }

    [Theory]
    [InlineData("[1,]")]
    [InlineData("[,1]")]
    [InlineData("[1 2]")]
    [InlineData("[\"1\"]")]
    [InlineData("[[1]]")]
    [InlineData("[null]")]
    [InlineData("[1e39]")]
    [InlineData("[1,2")]
    [InlineData("[01]")]
    public void TryReadArray_NotOnlyFiniteNumbers_MinusOne(string json)
    {
        var values = ArrayPool<float>.Shared.Rent(4);
        Assert.Equal(-1, FloatText.TryReadArray(Encoding.ASCII.GetBytes(json), 0, ref values, out _));
        ArrayPool<float>.Shared.Return(values);
    }

    [Fact]
    public void WriteVector_SameJsonAsOneWriteNumberValuePerValue()
    {
        // Arrange: 4,096 values the size of a real embedding's, plus the edges
        var random = new Random(7);
        float[] vector = [.. Edges.Where(float.IsFinite), .. Enumerable.Range(0, 4096).Select(_ => (float)((random.NextDouble() * 2 - 1) * 0.1))];

        // Act
        var mine = Write(writer => EmbeddingJson.WriteVector(writer, vector));
        var runtime = Write(writer =>
        {
            writer.WriteStartArray();
            foreach (var value in vector)
            {
                writer.WriteNumberValue(value);
            }

            writer.WriteEndArray();
        });

        // Assert
        Assert.Equal(runtime, mine);
        Assert.Throws<ArgumentException>(() => Write(writer => EmbeddingJson.WriteVector(writer, [1f, float.NaN])));
    }

    private static string Write(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WritePropertyName("embedding");
            write(writer);
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>A JSON number of 1–21 fraction digits, 0–3 integer digits and maybe an exponent.</summary>
    private static string RandomNumberText(Random random)
    {
        var text = new StringBuilder();
        if (random.Next(2) == 0)
        {
            text.Append('-');
        }

        var integerDigits = random.Next(0, 4);
        text.Append(integerDigits == 0 ? '0' : (char)('1' + random.Next(9)));
        for (var k = 1; k < integerDigits; k++)
        {
            text.Append((char)('0' + random.Next(10)));
        }

        if (random.Next(3) > 0)
        {
            text.Append('.');
            var fractionDigits = random.Next(1, 22);
            for (var k = 0; k < fractionDigits; k++)
            {
                text.Append((char)('0' + random.Next(10)));
            }
        }

        if (random.Next(3) == 0)
        {
            text.Append(random.Next(2) == 0 ? 'e' : 'E').Append(random.Next(3) switch { 0 => "-", 1 => "+", _ => "" }).Append(random.Next(0, 60));
        }

        return text.ToString();
    }
}
