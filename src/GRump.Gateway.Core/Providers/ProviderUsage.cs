namespace GRump.Gateway.Providers;

/// <summary>Tokens of one upstream call. <see cref="Estimated"/> when the upstream sent none and the gateway counted.</summary>
public readonly record struct ProviderUsage(long InputTokens, long OutputTokens, bool Estimated = false);
