using GRump.Gateway.Endpoints;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace GRump.Gateway.Tests.Endpoints;

/// <summary>
/// The guard's verdict on raw request targets, including forms the end-to-end tests cannot send (absolute-form targets)
/// or that Kestrel would normalise first. The path is what Kestrel would have decoded; the raw target is what was sent.
/// </summary>
public sealed class RequestPathGuardTests
{
    public static TheoryData<string, string, string?> Targets => new()
    {
        // normal forms, including dots and escapes that are not dot segments, slashes or backslashes
        { "/v1/chat/completions", "/v1/chat/completions", null },
        { "/grump.v1.ChatService/Complete", "/grump.v1.ChatService/Complete", null },
        { "/v1/files/a.b", "/v1/files/a.b", null },
        { "/v1/files/...", "/v1/files/...", null },
        { "/v1/files/%2e%2e%2e", "/v1/files/...", null },
        { "/v1/files/.a", "/v1/files/.a", null },
        { "/v1/files/a%20b", "/v1/files/a b", null },
        { "/v1/chat/completions?x=/../&a=%2F&b=%5C", "/v1/chat/completions", null },
        { "/v1/models/", "/v1/models/", null },
        { "/", "/", null },
        { "http://gateway.example/v1/chat/completions", "/v1/chat/completions", null },
        { "http://gateway.example", "/", null },
        { "http://gateway.example/v1/x?next=http://other//a", "/v1/x", null },
        // empty segments
        { "/v1//chat/completions", "/v1//chat/completions", "empty path segments ('//')" },
        { "http://gateway.example//v1/completions", "//v1/completions", "empty path segments ('//')" },
        // backslashes, raw or encoded in either case
        { "/v1/chat%5Ccompletions", "/v1/chat%5Ccompletions", "backslashes" },
        { "/v1/chat%5ccompletions", "/v1/chat%5ccompletions", "backslashes" },
        // encoded slashes (Kestrel leaves %2F encoded in the path)
        { "/v1/chat%2fcompletions", "/v1/chat%2fcompletions", "encoded slashes ('%2F')" },
        { "/v1/%2Fchat", "/v1/%2Fchat", "encoded slashes ('%2F')" },
        // dot segments: '.', '..', encoded in either case, mixed, last, in an absolute-form target
        { "/v1/./chat", "/v1/chat", "dot segments ('.' or '..')" },
        { "/v1/x/../chat", "/v1/chat", "dot segments ('.' or '..')" },
        { "/v1/%2e%2e/v1/completions", "/v1/completions", "dot segments ('.' or '..')" },
        { "/v1/%2E/completions", "/v1/completions", "dot segments ('.' or '..')" },
        { "/v1/.%2E/completions", "/completions", "dot segments ('.' or '..')" },
        { "/v1/%2e./completions", "/completions", "dot segments ('.' or '..')" },
        { "/v1/completions/..", "/v1", "dot segments ('.' or '..')" },
        { "/v1/completions/.", "/v1/completions/", "dot segments ('.' or '..')" },
        { "http://gateway.example/v1/../admin", "/admin", "dot segments ('.' or '..')" },
    };

    [Theory]
    [MemberData(nameof(Targets))]
    public void Violation_NamesWhatIsWrongWithTheRawTarget(string rawTarget, string decodedPath, string? expected)
    {
        // Arrange
        var context = new DefaultHttpContext();
        context.Request.Path = new PathString(decodedPath);
        context.Features.Get<IHttpRequestFeature>()!.RawTarget = rawTarget;

        // Act
        var violation = RequestPathGuard.Violation(context);

        // Assert
        Assert.Equal(expected, violation);
    }
}
