using GRump.LoadTests.Load;

namespace GRump.LoadTests.Scenarios;

/// <summary>
/// A named load test: one call (<see cref="CreateStep"/>) made again and again under <see cref="DefaultLoad"/>
/// (unless the command line sets the load) after an optional <see cref="PrepareAsync"/>.
/// </summary>
internal sealed record Scenario(
    string Name,
    string Description,
    ScenarioTarget Target,
    LoadSimulation DefaultLoad,
    Func<ScenarioTargets, CancellationToken, ValueTask<IScenarioStep>> CreateStep)
{
    /// <summary>Runs once before the warm-up, e.g. to fill a cache.</summary>
    public Func<ScenarioTargets, CancellationToken, Task>? PrepareAsync { get; init; }
}
