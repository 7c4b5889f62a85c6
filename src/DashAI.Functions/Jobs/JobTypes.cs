namespace DashAI.Functions.Jobs;

/// <summary>The job types (the thesis numbered the training "runner" 0); every type travels on the one training queue.</summary>
public static class JobTypes
{
    /// <summary>Trains a run (POST /job/runner); for a tuned run, starts its search.</summary>
    public const int Train = 0;

    /// <summary>Scores a dataset or a file with a trained run (POST /prediction).</summary>
    public const int Predict = 1;

    /// <summary>Explains a trained run (POST /explainer).</summary>
    public const int Explain = 2;

    /// <summary>One trial of a run's hyperparameter search.</summary>
    public const int Trial = 3;
}
