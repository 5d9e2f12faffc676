namespace GRump.Gateway.Tests.Cost;

public sealed class Uuid7Tests
{
    [Fact]
    public void New_IsAVersion7UuidCarryingItsMillisecond()
    {
        // Arrange
        var at = new DateTimeOffset(2026, 12, 6, 8, 30, 15, 123, TimeSpan.Zero);

        // Act
        var id = Uuid7.New(at);

        // Assert: the first 48 bits are the Unix milliseconds, then version 7, then variant 10
        Assert.Equal(7, id.Version);
        Assert.Equal(0b10, id.Variant >> 2);
        var hex = id.ToString("N");
        Assert.Equal(at.ToUnixTimeMilliseconds(), Convert.ToInt64(hex[..12], 16));
    }

    [Fact]
    public void New_ManyIds_AreDistinct_AndOrderedByTheirMillisecond()
    {
        // Arrange
        var start = new DateTimeOffset(2026, 12, 6, 0, 0, 0, TimeSpan.Zero);

        // Act: 10,000 ids in each of three milliseconds, from several threads
        var ids = Enumerable.Range(0, 3).AsParallel()
            .SelectMany(ms => Enumerable.Range(0, 10_000).Select(_ => (Ms: ms, Id: Uuid7.New(start.AddMilliseconds(ms)))))
            .ToList();

        // Assert
        Assert.Equal(ids.Count, ids.Select(i => i.Id).Distinct().Count());
        Assert.Equal(ids.OrderBy(i => i.Ms).Select(i => i.Ms), ids.OrderBy(i => i.Id).Select(i => i.Ms));
    }

    [Fact]
    public void New_BeforeTheUnixEpoch_Throws() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => Uuid7.New(new DateTimeOffset(1969, 12, 31, 23, 59, 59, TimeSpan.Zero)));
}
