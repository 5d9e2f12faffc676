namespace GRump.LoadTests.Load;

/// <summary>The outcome of one call: <see cref="Status"/> is <see cref="OkStatus"/> for success, else e.g. a gRPC status code name or <c>HTTP 503</c>.</summary>
internal readonly record struct StepResult(string Status, long Bytes)
{
    public const string OkStatus = "OK";

    public bool IsOk => ReferenceEquals(Status, OkStatus) || Status == OkStatus;

    public static StepResult Ok(long bytes) => new(OkStatus, bytes);

    public static StepResult Failed(string status, long bytes = 0) => new(status, bytes);
}

/// <summary>One call of a scenario. Instances may hold per-user state (a bidi stream); the engine never uses one concurrently.</summary>
internal interface IScenarioStep : IAsyncDisposable
{
    ValueTask<StepResult> InvokeAsync(CancellationToken cancellationToken);
}
