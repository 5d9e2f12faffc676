using GRump.Gateway.Passthrough;
using GRump.Gateway.Passthrough.Internal;

namespace GRump.Gateway.Tests.Passthrough;

/// <summary>An allow-list the passthrough could not enforce stops the gateway at start.</summary>
public sealed class PassthroughOptionsTests
{
    [Fact]
    public void Default_IsEmpty_AndValid()
    {
        var options = new PassthroughOptions();

        Assert.Empty(options.Routes);
        Assert.True(new PassthroughOptionsValidator().Validate(null, options).Succeeded);
    }

    [Theory]
    [InlineData("/v1/completions", "usage", null, "POST", null)]
    [InlineData("/v1/files/*", "per-call", 0.0, "GET", null)]
    [InlineData("/v1/audio/speech", "per-call", 0.015, "POST", null)]
    [InlineData("/v2/completions", "usage", null, "POST", "must be a lower-case /v1/")]
    [InlineData("/v1//completions", "usage", null, "POST", "must be a lower-case /v1/")]
    [InlineData("/v1/../admin", "usage", null, "POST", "must be a lower-case /v1/")]
    [InlineData("/v1/Completions", "usage", null, "POST", "must be a lower-case /v1/")]
    [InlineData("/v1/chat/completions", "usage", null, "POST", "served by the gateway itself")]
    [InlineData("/v1/chat/*", "per-call", 1.0, "POST", "served by the gateway itself")]
    [InlineData("/v1/models/*", "per-call", 0.0, "GET", "served by the gateway itself")]
    [InlineData("/v1/responses", "usage", null, "POST", "served by the gateway itself")]
    [InlineData("/v1/messages/*", "per-call", 0.0, "POST", "served by the gateway itself")]
    [InlineData("/v1/moderations", "per-call", null, "POST", "needs PricePerCallUsd")]
    [InlineData("/v1/moderations", "per-call", -1.0, "POST", "needs PricePerCallUsd")]
    [InlineData("/v1/moderations", "free", null, "POST", "Metering 'free' is unknown")]
    [InlineData("/v1/completions", "usage", 0.01, "POST", "PricePerCallUsd belongs to per-call routes")]
    [InlineData("/v1/completions", "usage", null, "GET", "must be POST only")]
    [InlineData("/v1/moderations", "per-call", 0.0, "TRACE", "Methods has 'TRACE'")]
    public void Route_IsCheckedAtStart(string path, string metering, double? price, string method, string? error)
    {
        var options = new PassthroughOptions { Routes = [new PassthroughRoute { Path = path, Metering = metering, PricePerCallUsd = price, Methods = [method] }] };

        var result = new PassthroughOptionsValidator().Validate(null, options);

        if (error is null)
        {
            Assert.True(result.Succeeded, result.FailureMessage);
        }
        else
        {
            Assert.True(result.Failed);
            Assert.Contains(error, result.FailureMessage, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void SameRouteTwice_IsRefused()
    {
        var route = new PassthroughRoute { Path = "/v1/moderations", Metering = "per-call", PricePerCallUsd = 0 };

        var result = new PassthroughOptionsValidator().Validate(null, new PassthroughOptions { Routes = [route, route] });

        Assert.Contains("listed twice", result.FailureMessage, StringComparison.Ordinal);
    }
}
