namespace GRump.Cli;

/// <summary>A command line the parser accepted but the command cannot use (an empty message, a bad URL): exit code 2.</summary>
internal sealed class UsageException(string message) : Exception(message);
