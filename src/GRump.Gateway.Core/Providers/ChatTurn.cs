namespace GRump.Gateway.Providers;

/// <summary>One message of a chat prompt, provider-neutral.</summary>
public sealed record ChatTurn(string Role, string Content);
