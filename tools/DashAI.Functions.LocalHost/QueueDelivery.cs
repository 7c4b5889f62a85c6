namespace DashAI.Functions.LocalHost;

/// <summary>What became of one delivery of a queue message.</summary>
public enum QueueDeliveryOutcome
{
    /// <summary>The function succeeded; the message was deleted.</summary>
    Succeeded,

    /// <summary>The function failed; the message was made visible again for another delivery.</summary>
    FailedAndReleased,

    /// <summary>The function failed on the last allowed delivery; the message was moved to the poison queue.</summary>
    FailedAndPoisoned,

    /// <summary>The message went to the poison queue without an invocation (too many deliveries, or not decodable).</summary>
    Poisoned,
}

/// <summary>One delivery of a queue message by the harness.</summary>
public sealed record QueueDelivery(
    string FunctionName,
    string QueueName,
    string MessageId,
    string MessageText,
    long DequeueCount,
    QueueDeliveryOutcome Outcome,
    string? Error);
