namespace DashAI.Functions.Storage;

/// <summary>
/// What the stores report, in storage terms; <c>Http/ApiErrors</c> is the one place that turns them into
/// problem details (404, 409, 412, 503).
/// </summary>
public abstract class StoreException(string message) : Exception(message);

/// <summary>The object does not exist (or no longer does).</summary>
public sealed class EntityNotFoundException(string kind) : StoreException($"{kind} not found")
{
    public string Kind { get; } = kind;
}

/// <summary>Another object of the kind already holds the unique name.</summary>
public sealed class DuplicateNameException(string kind, string? name)
    : StoreException($"A {kind.ToLowerInvariant()} named '{name}' already exists.");

/// <summary>The object changed since the caller read it (its ETag no longer matches).</summary>
public sealed class StaleEntityException(string kind)
    : StoreException($"The {kind.ToLowerInvariant()} was changed by someone else; read it again and retry.");

/// <summary>
/// So many writers raced for the same row (the id counter, or one object) that a bounded number of attempts
/// did not get through; the client should retry after <see cref="RetryAfterSeconds"/>.
/// </summary>
public sealed class StorageContentionException(string message, int retryAfterSeconds = 2) : StoreException(message)
{
    public int RetryAfterSeconds { get; } = retryAfterSeconds;
}
