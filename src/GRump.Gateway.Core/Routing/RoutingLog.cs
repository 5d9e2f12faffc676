using Microsoft.Extensions.Logging;

namespace GRump.Gateway.Routing;

internal static partial class RoutingLog
{
    [LoggerMessage(1, LogLevel.Information, "Learned router ready: {Count} exemplars (simple {Simple}, medium {Medium}, complex {Complex}; {Files} operator files) embedded and trained in {ElapsedMs:0} ms.")]
    public static partial void ClassifierLoaded(ILogger logger, int count, int simple, int medium, int complex, int files, double elapsedMs);

    [LoggerMessage(2, LogLevel.Error, "The learned router could not be trained; routing falls back to {Fallback}.")]
    public static partial void ClassifierFailed(ILogger logger, string fallback, Exception exception);

    [LoggerMessage(3, LogLevel.Information, "Routing shadow disagreement: {Active} → {ActiveTier}, {Shadow} → {ShadowTier} (heuristic score {Score}, shadow P(complex) {ComplexProbability:0.00}, nearest exemplar {Nearest}, prompt {Fingerprint}){Text}")]
    public static partial void ShadowDisagreement(ILogger logger, string active, string activeTier, string shadow, string shadowTier, int score, float complexProbability, string nearest, string fingerprint, string text);

    [LoggerMessage(4, LogLevel.Debug, "Routing shadow queue is full; a decision was not compared.")]
    public static partial void ShadowDropped(ILogger logger);

    [LoggerMessage(5, LogLevel.Error, "The routing shadow stopped unexpectedly.")]
    public static partial void ShadowFailed(ILogger logger, Exception exception);
}
