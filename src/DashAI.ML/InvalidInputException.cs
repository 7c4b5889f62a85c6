namespace DashAI.ML;

/// <summary>
/// Input the user can fix: a bad dataset, bad parameters, a model that does not fit a task.
/// The API answers 400 with every message in <see cref="Errors"/>; the trainer marks a run ERROR
/// with them (a permanent failure, never retried).
/// </summary>
public class InvalidInputException : Exception
{
    public InvalidInputException(string message)
        : this([message])
    {
    }

    public InvalidInputException(IReadOnlyList<string> errors, long? row = null)
        : base(string.Join("; ", errors))
    {
        Errors = errors;
        Row = row;
    }

    public InvalidInputException()
        : this("Invalid input.")
    {
    }

    public InvalidInputException(string message, Exception innerException)
        : base(message, innerException)
    {
        Errors = [message];
    }

    public IReadOnlyList<string> Errors { get; } = [];

    /// <summary>The 1-based data row (header excluded) the problem was found on, when there is one.</summary>
    public long? Row { get; }
}
