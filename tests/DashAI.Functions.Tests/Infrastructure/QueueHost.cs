using System.Text.Json.Nodes;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using DashAI.Functions.Training;
using Microsoft.Azure.Functions.Worker;
using Moq;

namespace DashAI.Functions.Tests.Infrastructure;

/// <summary>
/// Drives the queue-triggered functions the way the Functions host does: receives the real message from Azurite
/// under a visibility lease, passes its text and dequeue count to the function, deletes it when the function
/// succeeds, makes it visible again when it throws, and moves it to the poison queue once it has been dequeued
/// maxDequeueCount times (read from the app's host.json).
/// </summary>
public sealed class QueueHost(TestApp app)
{
    public static int MaxDequeueCount { get; } =
        JsonNode.Parse(File.ReadAllText(Path.Combine(RepoPaths.Root, "host.json")))!["extensions"]!["queues"]!["maxDequeueCount"]!.GetValue<int>();

    public QueueClient Queue => app.Storage.Queue(app.Storage.Names.TrainingQueueName);

    public QueueClient PoisonQueue => app.Storage.Queue(app.Storage.Names.TrainingPoisonQueueName);

    /// <summary>Delivers the next visible training message; null when there is none.</summary>
    public async Task<Delivery?> DeliverNextAsync(CancellationToken hostCancellation = default)
    {
        QueueMessage? message = (await Queue.ReceiveMessageAsync(TimeSpan.FromMinutes(5))).Value;
        if (message is null)
        {
            return null;
        }

        return await InvokeAsync(message, hostCancellation);
    }

    /// <summary>Receives one message without invoking anything (for tests that deliver the same text twice).</summary>
    public async Task<QueueMessage> ReceiveAsync() =>
        (await Queue.ReceiveMessageAsync(TimeSpan.FromMinutes(5))).Value ?? throw new InvalidOperationException("No message on the training queue.");

    public async Task<Delivery> InvokeAsync(QueueMessage message, CancellationToken hostCancellation = default)
    {
        var function = app.Function<TrainRunFunctions>();
        try
        {
            await function.Train(message.MessageText, QueueHostContext.WithDequeueCount(message.DequeueCount), hostCancellation);
        }
        catch (Exception e)
        {
            if (message.DequeueCount >= MaxDequeueCount)
            {
                await PoisonQueue.SendMessageAsync(message.MessageText);
                await Queue.DeleteMessageAsync(message.MessageId, message.PopReceipt);
                return new Delivery(message, e, Poisoned: true);
            }

            await Queue.UpdateMessageAsync(message.MessageId, message.PopReceipt, visibilityTimeout: TimeSpan.Zero);
            return new Delivery(message, e, Poisoned: false);
        }

        await Queue.DeleteMessageAsync(message.MessageId, message.PopReceipt);
        return new Delivery(message, null, Poisoned: false);
    }

    /// <summary>Delivers every visible poison message to the poison handler.</summary>
    public async Task<int> DeliverPoisonAsync()
    {
        var function = app.Function<TrainRunFunctions>();
        var handled = 0;
        while ((await PoisonQueue.ReceiveMessageAsync(TimeSpan.FromMinutes(1))).Value is { } message)
        {
            await function.Poison(message.MessageText, CancellationToken.None);
            await PoisonQueue.DeleteMessageAsync(message.MessageId, message.PopReceipt);
            handled++;
        }

        return handled;
    }

    /// <summary>Delivers messages until the queue is empty (failed deliveries are retried as the host would).</summary>
    public async Task<List<Delivery>> DrainAsync(int maxDeliveries = 50)
    {
        var deliveries = new List<Delivery>();
        while (deliveries.Count < maxDeliveries && await DeliverNextAsync() is { } delivery)
        {
            deliveries.Add(delivery);
        }

        return deliveries;
    }

    public async Task<int> CountAsync(QueueClient queue) =>
        (await queue.GetPropertiesAsync()).Value.ApproximateMessagesCount;
}

public sealed record Delivery(QueueMessage Message, Exception? Error, bool Poisoned)
{
    public bool Succeeded => Error is null;
}

/// <summary>A function context carrying only the trigger metadata the training function reads.</summary>
public static class QueueHostContext
{
    public static FunctionContext WithDequeueCount(long dequeueCount)
    {
        var binding = new Mock<BindingContext>();
        binding.SetupGet(b => b.BindingData).Returns(new Dictionary<string, object?> { ["DequeueCount"] = dequeueCount.ToString() });
        var context = new Mock<FunctionContext>();
        context.SetupGet(c => c.BindingContext).Returns(binding.Object);
        return context.Object;
    }
}
