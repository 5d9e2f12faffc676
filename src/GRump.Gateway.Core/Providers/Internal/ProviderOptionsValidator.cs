using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace GRump.Gateway.Providers.Internal;

/// <summary>
/// Checks each configured provider's options (named by provider) at start, with the same rules that decide at
/// registration which providers exist (<see cref="ProviderSettings.Problems"/>), so a bad value stops the gateway
/// with a message naming its key instead of silently dropping the provider.
/// </summary>
internal sealed class ProviderOptionsValidator(IConfiguration configuration) : IValidateOptions<ProviderOptions>
{
    public ValidateOptionsResult Validate(string? name, ProviderOptions options)
    {
        var section = ProviderSettings.Sections(configuration).FirstOrDefault(s => s.Name == name);
        if (name is null || section.Key is null)
        {
            return ValidateOptionsResult.Skip;
        }
        var problems = ProviderSettings.Problems(section.Name, section.Key, options);
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
