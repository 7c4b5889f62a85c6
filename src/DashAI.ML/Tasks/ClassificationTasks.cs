using DashAI.ML.Data;

namespace DashAI.ML.Tasks;

/// <summary>Predicts a class from tabular columns (numbers, categories, booleans; text columns are featurized too).</summary>
public sealed class TabularClassificationTask : MLTask
{
    public const string TaskName = "TabularClassificationTask";

    public override string Name => TaskName;

    public override string Description => "Predict a category (two or more classes) from tabular input columns.";

    public override TaskKind Kind => TaskKind.Classification;

    protected override void AddTaskProblems(DatasetSchema schema, ColumnInfo output, List<string> problems) =>
        AddClassificationProblems(Name, output, problems);

    internal static void AddClassificationProblems(string task, ColumnInfo output, List<string> problems)
    {
        if (output.Type is ColumnType.Float or ColumnType.Text)
        {
            var what = output.Type == ColumnType.Float ? "continuous numbers (use RegressionTask)" : "free text";
            problems.Add($"{task} needs a categorical, integer or boolean output column; '{output.Name}' holds {what}.");
        }
        else if (output.DistinctCount < 2)
        {
            problems.Add($"{task} needs at least 2 classes in output column '{output.Name}', it has {output.DistinctCount}.");
        }
    }
}

/// <summary>Predicts a class from at least one free-text column.</summary>
public sealed class TextClassificationTask : MLTask
{
    public const string TaskName = "TextClassificationTask";

    public override string Name => TaskName;

    public override string Description => "Predict a category from text (word and character n-grams), optionally with other columns.";

    public override TaskKind Kind => TaskKind.Classification;

    protected override void AddTaskProblems(DatasetSchema schema, ColumnInfo output, List<string> problems)
    {
        if (!schema.InputColumns.Any(c => schema[c].Type == ColumnType.Text))
        {
            problems.Add($"{Name} needs at least one text input column; the inputs are {string.Join(", ", schema.InputColumns.Select(c => $"'{c}' ({schema[c].Type})"))}.");
        }

        TabularClassificationTask.AddClassificationProblems(Name, output, problems);
    }
}

/// <summary>Predicts a number.</summary>
public sealed class RegressionTask : MLTask
{
    public const string TaskName = "RegressionTask";

    public override string Name => TaskName;

    public override string Description => "Predict a number from tabular input columns.";

    public override TaskKind Kind => TaskKind.Regression;

    protected override void AddTaskProblems(DatasetSchema schema, ColumnInfo output, List<string> problems)
    {
        if (output.Type is not (ColumnType.Integer or ColumnType.Float))
        {
            problems.Add($"{Name} needs a numeric output column; '{output.Name}' is {output.Type.ToString().ToLowerInvariant()}.");
        }
    }
}
