using GRump.Gateway.Errors;

namespace GRump.Gateway.Tests.Errors;

public sealed class SecretRedactorTests
{
    [Theory]
    [InlineData("Incorrect API key provided: sk-proj-abc***************xyz.", "Incorrect API key provided: [redacted].")]
    [InlineData("key nvapi-AbCdEf0123456789 rejected", "key [redacted] rejected")]
    [InlineData("Authorization: Bearer abc.def/ghi= was sent", "Authorization: Bearer [redacted] was sent")]
    [InlineData("token 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b was refused", "token [redacted] was refused")]
    [InlineData("sk-ant-api03-Zz9 expired", "[redacted] expired")]
    [InlineData("The model `gpt-4o` does not exist or you do not have access to it.", "The model `gpt-4o` does not exist or you do not have access to it.")]
    [InlineData("max_tokens must be at most 16384 (got 100000)", "max_tokens must be at most 16384 (got 100000)")]
    [InlineData("See https://platform.openai.com/account/api-keys for details", "See https://platform.openai.com/account/api-keys for details")]
    [InlineData("", "")]
    public void Redact_RemovesKeyLikeWords_AndKeepsOrdinaryText(string text, string expected)
    {
        Assert.Equal(expected, SecretRedactor.Redact(text));
    }

    [Fact]
    public void Redact_RemovesAConfiguredSecret_WhateverItLooksLike()
    {
        var redacted = SecretRedactor.Redact("you sent nim-test-key, which is wrong", ["nim-test-key"]);

        Assert.Equal("you sent [redacted], which is wrong", redacted);
    }
}
