using System.Buffers;
using System.Text;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using GRump.Gateway.Embeddings;
using GRump.Gateway.Providers.Internal;

namespace GRump.Benchmarks.Embeddings;

/// <summary>
/// One 4,096-value embedding as JSON text, both ways: written into a caller's answer (one
/// <see cref="Utf8JsonWriter.WriteNumberValue(float)"/> per value, as before, against <see cref="EmbeddingJson.WriteVector"/>)
/// and read from an upstream's answer of 32 such vectors (<see cref="JsonDocument"/> and <c>GetSingle</c> per value, as
/// before, against <see cref="OpenAiEmbeddingsWire"/>). The values are drawn as a real model's are (every bit of the float
/// used). Run: <c>dotnet loadtests/GRump.Benchmarks/bin/Release/net10.0/GRump.Benchmarks.dll --filter '*VectorJson*' --job short</c>.
/// </summary>
[MemoryDiagnoser]
public class VectorJsonBenchmarks
{
    private const int Dimensions = 4096;
    private const int BatchSize = 32;

    private readonly ArrayBufferWriter<byte> _output = new(Dimensions * 16);
    private float[] _vector = null!;
    private byte[] _answer = null!;

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(4096);
        _vector = [.. Enumerable.Range(0, Dimensions).Select(_ => (float)((random.NextDouble() * 2 - 1) * 0.1))];
        var answer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(answer))
        {
            writer.WriteStartObject();
            writer.WriteString("object", "list");
            writer.WriteStartArray("data");
            for (var i = 0; i < BatchSize; i++)
            {
                writer.WriteStartObject();
                writer.WriteString("object", "embedding");
                writer.WriteNumber("index", i);
                writer.WriteStartArray("embedding");
                foreach (var value in _vector)
                {
                    writer.WriteNumberValue(value);
                }

                writer.WriteEndArray();
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteStartObject("usage");
            writer.WriteNumber("prompt_tokens", 320);
            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        _answer = answer.WrittenSpan.ToArray();
        WriteFloats();
        var expected = Encoding.UTF8.GetString(_output.WrittenSpan);
        WriteVector();
        if (Encoding.UTF8.GetString(_output.WrittenSpan) != expected)
        {
            throw new InvalidOperationException("the two writers differ");
        }
    }

    [Benchmark(Baseline = true, Description = "write 4,096 values: WriteNumberValue each")]
    public int WriteFloats()
    {
        _output.ResetWrittenCount();
        using var writer = new Utf8JsonWriter(_output);
        writer.WriteStartArray();
        foreach (var value in _vector)
        {
            writer.WriteNumberValue(value);
        }

        writer.WriteEndArray();
        writer.Flush();
        return _output.WrittenCount;
    }

    [Benchmark(Description = "write 4,096 values: EmbeddingJson.WriteVector")]
    public int WriteVector()
    {
        _output.ResetWrittenCount();
        using var writer = new Utf8JsonWriter(_output);
        EmbeddingJson.WriteVector(writer, _vector);
        writer.Flush();
        return _output.WrittenCount;
    }

    [Benchmark(Description = "read 32 × 4,096 values: JsonDocument + GetSingle")]
    public float ReadDocument()
    {
        using var document = JsonDocument.Parse(_answer);
        var sum = 0f;
        foreach (var item in document.RootElement.GetProperty("data").EnumerateArray())
        {
            var embedding = item.GetProperty("embedding");
            var vector = new float[embedding.GetArrayLength()];
            var k = 0;
            foreach (var value in embedding.EnumerateArray())
            {
                vector[k++] = value.GetSingle();
            }

            sum += vector[0];
        }

        return sum;
    }

    [Benchmark(Description = "read 32 × 4,096 values: OpenAiEmbeddingsWire")]
    public float ReadWire() => OpenAiEmbeddingsWire.Read(_answer, BatchSize, out _)[0][0];
}
