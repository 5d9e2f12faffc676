using System.Text;
using GRump.Gateway.Providers.Internal;

namespace GRump.Gateway.Tests.Providers;

public sealed class SseReaderTests
{
    [Fact]
    public async Task ReadsEvents_WithCrLf_Comments_MultiLineData_AndEventNames()
    {
        // Arrange
        const string Body = ": keep-alive\r\n\r\nevent: message_start\r\ndata: {\"a\":1}\r\n\r\ndata: line1\ndata:line2\n\nid: 7\nretry: 10\n\ndata: [DONE]\n\n";

        // Act
        var events = await ReadAllAsync(Body, chunkSize: 3);

        // Assert
        Assert.Equal([("message_start", "{\"a\":1}"), (string.Empty, "line1\nline2"), (string.Empty, "[DONE]")], events);
    }

    [Fact]
    public async Task PartialLastEvent_IsDiscarded()
    {
        var events = await ReadAllAsync("data: one\n\ndata: two", chunkSize: 64);

        Assert.Equal([(string.Empty, "one")], events);
    }

    [Fact]
    public async Task LargeData_GrowsThePooledBuffer()
    {
        var payload = new string('x', 100_000);

        var events = await ReadAllAsync($"data: {payload}\n\n", chunkSize: 4096);

        Assert.Equal(payload, Assert.Single(events).Data);
    }

    private static async Task<List<(string Event, string Data)>> ReadAllAsync(string body, int chunkSize)
    {
        var stream = new ChunkedStream(Encoding.UTF8.GetBytes(body), chunkSize);
        var reader = new SseReader(stream);
        var events = new List<(string, string)>();
        await using (reader)
        {
            while (await reader.MoveNextAsync(TestContext.Current.CancellationToken))
            {
                events.Add((Encoding.UTF8.GetString(reader.EventType), Encoding.UTF8.GetString(reader.Data)));
            }
        }
        return events;
    }

    /// <summary>Returns at most <c>chunkSize</c> bytes per read, so lines straddle buffer segments.</summary>
    private sealed class ChunkedStream(byte[] data, int chunkSize) : MemoryStream(data)
    {
        public override int Read(byte[] buffer, int offset, int count) => base.Read(buffer, offset, Math.Min(count, chunkSize));

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(buffer.Length, chunkSize)], cancellationToken);
    }
}
