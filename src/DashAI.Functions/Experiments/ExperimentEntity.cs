using System.Runtime.Serialization;
using DashAI.Functions.Storage;

namespace DashAI.Functions.Experiments;

/// <summary>An experiment (a task on a dataset) as stored in the <c>experiments</c> table.</summary>
public sealed class ExperimentEntity : EntityBase
{
    public long DatasetId { get; set; }

    public string Name { get; set; } = "";

    public string TaskName { get; set; } = "";

    [IgnoreDataMember]
    public override string? UniqueName => Name;
}
