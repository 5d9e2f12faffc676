using GRump.Gateway.Providers;

namespace GRump.Gateway.Tests.Providers;

public sealed class ProviderUrlsTests
{
    [Theory]
    [InlineData("http://nim:8000", "http://nim:8000/v1")]
    [InlineData("http://nim:8000/", "http://nim:8000/v1")]
    [InlineData("http://nim:8000/v1", "http://nim:8000/v1")]
    [InlineData("  http://nim:8000/v1/  ", "http://nim:8000/v1")]
    [InlineData("https://integrate.api.nvidia.com/v1", "https://integrate.api.nvidia.com/v1")]
    [InlineData("http://host/openai", "http://host/openai/v1")]
    public void OpenAiBase_NormalizesToV1(string configured, string expected)
    {
        Assert.Equal(expected, ProviderUrls.OpenAiBase(configured));
    }

    [Theory]
    [InlineData("nim:8000")]
    [InlineData("ftp://nim/v1")]
    [InlineData("")]
    public void Parse_RejectsNonHttpUrls(string url)
    {
        var error = Assert.Throws<InvalidOperationException>(() => ProviderUrls.Parse("nim", url));
        Assert.Contains("nim", error.Message, StringComparison.Ordinal);
    }
}
