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
    public void ForClassifier_InstructionAfterThePaste_IsPartOfTheAsk()
    {
        // Arrange: the work is asked after the pasted lines.
        var log = string.Concat(Enumerable.Repeat("12:00:01 ERROR payment-service timeout calling the card processor after 30000 ms\n", 4));
        var closing = "Which request failed first, and what should I change so it stops happening?";

        // Act
        var prompt = RoutingText.ForClassifier([ChatMessage.FromText(ChatRole.User, "Here is the log from last night:\n\n" + log + "\n" + closing)]);

        // Assert
        Assert.Equal("Here is the log from last night:\n" + closing, prompt.Text);
        Assert.Equal(("\n\n" + log + "\n").Length, prompt.PastedChars);
    }

    [Theory]
    [InlineData("Thanks, Sofia")] // a sign-off, not an instruction
    [InlineData("    return total / count;\n}")] // the paste's own last block (indented code)
    [InlineData("if (x) { return y; } else { throw new Error('no'); } // and more of the pasted code block")]
    public void ForClassifier_LastParagraphThatIsNoInstruction_StaysPartOfThePaste(string last)
    {
        // Arrange
        var body = string.Concat(Enumerable.Repeat("Some pasted line of a document that goes on for a while.\n", 5));

        // Act
        var prompt = RoutingText.ForClassifier([ChatMessage.FromText(ChatRole.User, "Translate this email into French:\n\n" + body + "\n" + last)]);

        // Assert
        Assert.Equal("Translate this email into French:", prompt.Text);
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
