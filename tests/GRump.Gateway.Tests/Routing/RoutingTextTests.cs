using GRump.Gateway.Chat;
using GRump.Gateway.Routing;

namespace GRump.Gateway.Tests.Routing;

/// <summary>What the learned routers read: the ask of the last user message, the user message before it, no system text.</summary>
public sealed class RoutingTextTests
{
    [Fact]
    public void ForClassifier_Conversation_IsTheTaskThenThePreviousUserMessage_WithoutSystemOrAssistant()
    {
        // Act
        var prompt = RoutingText.ForClassifier([
            ChatMessage.FromText(ChatRole.System, "You are a helpful assistant."),
            ChatMessage.FromText(ChatRole.User, "Write a function that validates IPv4."),
            ChatMessage.FromText(ChatRole.Assistant, "def is_ipv4(s): ..."),
            ChatMessage.FromText(ChatRole.User, "now IPv6 too"),
        ]);

        // Assert
        Assert.Equal("now IPv6 too\nWrite a function that validates IPv4.", prompt.Text);
        Assert.Equal(0, prompt.PastedChars);
    }

    [Fact]
    public void ForClassifier_PastedDocument_KeepsTheAskAndCountsThePaste()
    {
        // Arrange
        var article = string.Concat(Enumerable.Repeat("The council voted to extend the library's hours. ", 10));

        // Act
        var colon = RoutingText.ForClassifier([ChatMessage.FromText(ChatRole.User, "Summarize this in two sentences:\n" + article)]);
        var blank = RoutingText.ForClassifier([ChatMessage.FromText(ChatRole.User, "Translate into Spanish\n\n" + article)]);
        var shortQuote = RoutingText.ForClassifier([ChatMessage.FromText(ChatRole.User, "Fix the grammar:\nMe and him goes.")]);

        // Assert
        Assert.Equal("Summarize this in two sentences:", colon.Text);
        Assert.Equal(article.Length + 1, colon.PastedChars);
        Assert.Equal("Translate into Spanish", blank.Text);
        Assert.Equal("Fix the grammar:\nMe and him goes.", shortQuote.Text);
        Assert.Equal(0, shortQuote.PastedChars);
    }

    [Fact]
    public void ForClassifier_LongTask_IsCutAtMaxChars_AndContextGoesFirst()
    {
        // Arrange
        var task = new string('t', RoutingText.MaxChars - 10);
        var previous = new string('p', 500);

        // Act
        var prompt = RoutingText.ForClassifier([ChatMessage.FromText(ChatRole.User, previous), ChatMessage.FromText(ChatRole.User, task)]);
        var huge = RoutingText.ForClassifier([ChatMessage.FromText(ChatRole.User, new string('x', 10_000))]);

        // Assert
        Assert.Equal(RoutingText.MaxChars, prompt.Text.Length);
        Assert.StartsWith(task + "\n", prompt.Text, StringComparison.Ordinal);
        Assert.Equal(RoutingText.MaxChars, huge.Text.Length);
    }

    [Fact]
    public void ForClassifier_CutNeverSplitsASurrogatePair()
    {
        // Arrange: an emoji straddling the limit.
        var text = new string('a', RoutingText.MaxChars - 1) + "🙂" + "tail";

        // Act
        var prompt = RoutingText.ForClassifier([ChatMessage.FromText(ChatRole.User, text)]);

        // Assert
        Assert.Equal(RoutingText.MaxChars - 1, prompt.Text.Length);
        Assert.False(char.IsHighSurrogate(prompt.Text[^1]));
    }

    [Fact]
    public void ForClassifier_NoUserMessage_ReadsTheLastMessage()
    {
        var prompt = RoutingText.ForClassifier([ChatMessage.FromText(ChatRole.System, "rules"), ChatMessage.FromText(ChatRole.Assistant, "How can I help?")]);
        Assert.Equal("How can I help?", prompt.Text);
    }
}
