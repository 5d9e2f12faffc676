using Microsoft.Extensions.Options;

namespace GRump.Gateway.Cost.Internal;

/// <summary>Cross-field rules of <see cref="CostOptions"/>.</summary>
internal sealed class CostOptionsValidator : IValidateOptions<CostOptions>
{
    public ValidateOptionsResult Validate(string? name, CostOptions options) =>
        options.HourlyRetention < options.RawRecordRetention
            ? ValidateOptionsResult.Fail($"Cost:HourlyRetention ({options.HourlyRetention}) must be at least Cost:RawRecordRetention ({options.RawRecordRetention}).")
            : ValidateOptionsResult.Success;
}
