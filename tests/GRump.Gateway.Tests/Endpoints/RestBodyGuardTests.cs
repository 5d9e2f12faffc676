using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using GRump.Gateway.Tests.Infrastructure;

namespace GRump.Gateway.Tests.Endpoints;

/// <summary>
/// REST bodies a client gets wrong: 400 naming the JSON path of the bad field (instead of the transcoder's "Request
/// JSON payload is not correctly formatted."), 413 over the limit, an unknown charset refused by name — in the
/// transcoder's own error shape (google.rpc.Status as JSON), never a .NET type name, never a 500.
/// </summary>
public sealed class RestBodyGuardTests(SharedGateway gateway)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("/api/chat/complete", """{"messages":"x"}""", "messages", "must be an array")]
    [InlineData("/api/chat/complete", """{"messages":null}""", "messages", "must be an array")]
    [InlineData("/api/chat/complete", """{"messages":[null]}""", "messages[0]", "must not be null")]
    [InlineData("/api/chat/complete", """{"messages":[{"role":"user","content":5}]}""", "messages[0].content", "must be a string")]
    [InlineData("/api/chat/complete", """{"messages":[{"role":"user","content":"hi"}],"temperature":"hot"}""", "temperature", "must be a number")]
    [InlineData("/api/chat/complete", """{"messages":[{"role":"user","content":"hi"}],"cache":"on"}""", "cache", "CACHE_MODE_ON")]
    [InlineData("/api/chat/complete", """{"messages":[{"role":"user","content":"hi"}],"maxTokens":1.5}""", "maxTokens", "whole number")]
    [InlineData("/api/chat/complete", """{"messages":[{"role":"user","content":"hi"}],"routing":{"preferCheaper":7}}""", "routing.preferCheaper", "true or false")]
    [InlineData("/api/intent/parse", """{"raw":"x","constraints":5}""", "constraints", "JSON object")]
    [InlineData("/api/intent/batch", """{"inputs":[{"raw":["a"]}]}""", "inputs[0].raw", "must be a string")]
    [InlineData("/api/cost/budget", """{"dailyLimitUsd":"5"}""", "dailyLimitUsd", "must be a number")]
    [InlineData("/api/intent/parse", """{"raw":"x",""", "body", "not valid JSON")]
    [InlineData("/api/intent/parse", """[1,2]""", "body", "JSON object")]
    public async Task Post_WrongJson_Is400NamingTheField(string path, string json, string field, string problem)
    {
        // Act
        using var response = await gateway.App.Http.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"), Ct);
        var body = await response.Content.ReadAsStringAsync(Ct);

        // Assert
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var violation = FieldViolation(body);
        Assert.Equal(field, violation.GetProperty("field").GetString());
        Assert.Contains(problem, violation.GetProperty("description").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain("System.", body, StringComparison.Ordinal);
        Assert.DoesNotContain("GRump.", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Post_InvalidUtf8InAString_Is400NamingTheField()
    {
        // Arrange: "raw" holds the bytes FF FE
        var bytes = Encoding.UTF8.GetBytes("{\"raw\":\"").Concat(new byte[] { 0xff, 0xfe }).Concat(Encoding.UTF8.GetBytes("\"}")).ToArray();
        using var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");

        // Act
        using var response = await gateway.App.Http.PostAsync("/api/intent/parse", content, Ct);

        // Assert
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("raw", FieldViolation(await response.Content.ReadAsStringAsync(Ct)).GetProperty("field").GetString());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Post_OverTheLimit_Is413(bool withLength)
    {
        // Arrange: 4 MiB + 1 KiB, with a Content-Length or chunked
        var json = Encoding.UTF8.GetBytes("{\"raw\":\"" + new string('x', (4 << 20) + 1024) + "\"}");
        using HttpContent content = withLength ? new ByteArrayContent(json) : new StreamContent(new MemoryStream(json));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/intent/parse") { Content = content };
        request.Headers.TransferEncodingChunked = !withLength;

        // Act
        using var response = await gateway.App.Http.SendAsync(request, Ct);
        var body = await response.Content.ReadAsStringAsync(Ct);

        // Assert
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("body", FieldViolation(body).GetProperty("field").GetString());
        Assert.Contains("4194304", body, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("GET", "/api/cost/stats")]
    [InlineData("POST", "/api/intent/parse")]
    public async Task AnyRoute_UnknownCharset_Is400NamingTheHeader(string method, string path)
    {
        // Arrange
        using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = new StringContent("""{"raw":"x"}""") };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse("application/json; charset=banana");

        // Act
        using var response = await gateway.App.Http.SendAsync(request, Ct);

        // Assert
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("Content-Type", FieldViolation(await response.Content.ReadAsStringAsync(Ct)).GetProperty("field").GetString());
    }

    [Fact]
    public async Task Post_Utf16Json_IsReadByTheTranscoder()
    {
        // Arrange: a charset the transcoder decodes; the guard leaves such bodies to it
        using var content = new ByteArrayContent(Encoding.Unicode.GetBytes("""{"raw":"Build a CLI in Go"}"""));
        content.Headers.ContentType = MediaTypeHeaderValue.Parse("application/json; charset=utf-16");

        // Act
        using var response = await gateway.App.Http.PostAsync("/api/intent/parse", content, Ct);

        // Assert
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("Build a CLI in Go", await response.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Post_ValidJson_PassesThroughUnchanged()
    {
        // Act: proto names and JSON names, numbers as strings for int64, an unknown field (ignored, as the transcoder does)
        using var response = await gateway.App.Http.PostAsync("/api/chat/complete", new StringContent(
            """{"messages":[{"role":"user","content":"hi"}],"max_tokens":16,"seed":"7","temperature":0,"unknownField":{"a":[1]}}""", Encoding.UTF8, "application/json"), Ct);

        // Assert
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private static JsonElement FieldViolation(string body)
    {
        using var document = JsonDocument.Parse(body);
        var details = document.RootElement.GetProperty("details");
        var badRequest = details.EnumerateArray().First(d => d.GetProperty("@type").GetString()!.EndsWith("google.rpc.BadRequest", StringComparison.Ordinal));
        return badRequest.GetProperty("fieldViolations")[0].Clone();
    }
}
