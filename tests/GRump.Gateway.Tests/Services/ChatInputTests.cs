using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using GRump.Gateway.Tests.Infrastructure;
using GRump.Gateway.V1;

namespace GRump.Gateway.Tests.Services;

/// <summary>Chat requests that deserialize but cannot be served as asked: INVALID_ARGUMENT naming the field, never UNKNOWN.</summary>
public sealed class ChatInputTests(SharedGateway gateway)
{
    [Theory]
    [InlineData("value without a kind")]
    [InlineData("empty key")]
    public async Task Complete_ToolSchemaWithoutJsonForm_IsInvalidArgument(string problem)
    {
        // Arrange: found by the fuzz suite — a Struct that parses but has no JSON form
        var schema = new Struct();
        schema.Fields[problem == "empty key" ? string.Empty : "type"] = problem == "empty key" ? Value.ForString("object") : new Value();
        var request = new CompleteRequest
        {
            Chat = new ChatRequest
            {
                Messages = { new ChatMessage { Role = "user", Content = "call a tool" } },
                Tools = { new Tool { Name = "lookup", Parameters = schema } },
            },
        };

        // Act
        var error = await Assert.ThrowsAsync<RpcException>(() => new ChatService.ChatServiceClient(gateway.App.Channel)
            .CompleteAsync(request, cancellationToken: TestContext.Current.CancellationToken).ResponseAsync).DefaultTimeout();

        // Assert
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.StartsWith("tools[0].parameters:", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Complete_FunctionToolChoiceWithoutName_IsInvalidArgumentNamingIt()
    {
        // Arrange: TOOL_CHOICE_MODE_FUNCTION naming no function (the proto's default name is "")
        var request = new CompleteRequest
        {
            Chat = new ChatRequest
            {
                Messages = { new ChatMessage { Role = "user", Content = "call a tool" } },
                Tools = { new Tool { Name = "lookup", Parameters = new Struct { Fields = { ["type"] = Value.ForString("object") } } } },
                ToolChoice = new ToolChoice { Mode = ToolChoiceMode.Function },
            },
        };

        // Act
        var error = await Assert.ThrowsAsync<RpcException>(() => new ChatService.ChatServiceClient(gateway.App.Channel)
            .CompleteAsync(request, cancellationToken: TestContext.Current.CancellationToken).ResponseAsync).DefaultTimeout();

        // Assert
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.StartsWith("tool_choice.name: is required", error.Status.Detail, StringComparison.Ordinal);
        var badRequest = error.GetRpcStatus()?.GetDetail<Google.Rpc.BadRequest>();
        Assert.Equal("tool_choice.name", Assert.Single(badRequest!.FieldViolations).Field);
    }

    [Fact]
    public async Task Complete_ToolChoiceNamingNoTool_IsInvalidArgumentNamingTheProtoField()
    {
        // Arrange: the chat limits name fields in the domain's (OpenAI-like) terms; the error must name chat.proto's.
        var request = new CompleteRequest
        {
            Chat = new ChatRequest
            {
                Messages = { new ChatMessage { Role = "user", Content = "call a tool" } },
                Tools = { new Tool { Name = "lookup", Parameters = new Struct { Fields = { ["type"] = Value.ForString("object") } } } },
                ToolChoice = new ToolChoice { Mode = ToolChoiceMode.Function, Name = "missing" },
            },
        };

        // Act
        var error = await Assert.ThrowsAsync<RpcException>(() => new ChatService.ChatServiceClient(gateway.App.Channel)
            .CompleteAsync(request, cancellationToken: TestContext.Current.CancellationToken).ResponseAsync).DefaultTimeout();

        // Assert
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.StartsWith("tool_choice.name: 'missing' is not one of the tools", error.Status.Detail, StringComparison.Ordinal);
        var badRequest = error.GetRpcStatus()?.GetDetail<Google.Rpc.BadRequest>();
        Assert.Equal("tool_choice.name", Assert.Single(badRequest!.FieldViolations).Field);
    }

    [Fact]
    public async Task StreamComplete_BadImageDetailInAPart_IsInvalidArgumentNamingThePart()
    {
        // Arrange: an image part with a detail the limits refuse, in the second part of the first message.
        var request = new StreamCompleteRequest
        {
            Chat = new ChatRequest
            {
                Messages =
                {
                    new ChatMessage
                    {
                        Role = "user",
                        Parts =
                        {
                            new ContentPart { Text = "what is this?" },
                            new ContentPart { Image = new ImageUrl { Url = "https://example.com/cat.png", Detail = "ultra" } },
                        },
                    },
                },
            },
        };

        // Act
        using var call = new ChatService.ChatServiceClient(gateway.App.Channel).StreamComplete(request, cancellationToken: TestContext.Current.CancellationToken);
        var error = await Assert.ThrowsAsync<RpcException>(async () => await call.ResponseStream.MoveNext(TestContext.Current.CancellationToken)).DefaultTimeout();

        // Assert
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        var badRequest = error.GetRpcStatus()?.GetDetail<Google.Rpc.BadRequest>();
        Assert.Equal("messages[0].parts[1].image.detail", Assert.Single(badRequest!.FieldViolations).Field);
    }
}
