// Benchmark commands print one JSON line of figures each; see README ("Benchmarks").
return args.FirstOrDefault() switch
{
    "ingest" => DashAI.Benchmarks.IngestCommand.Run(args[1..]),
    "train" => DashAI.Benchmarks.TrainCommand.Run(args[1..]),
    "predict" => DashAI.Benchmarks.PredictCommand.Run(args[1..]),
    "explain" => DashAI.Benchmarks.ExplainCommand.Run(args[1..]),
    "queue-latency" => await DashAI.Benchmarks.QueueLatencyCommand.RunAsync(args[1..]),
    "list" => await DashAI.Benchmarks.ListCommand.RunAsync(args[1..]),
    "hpo" => await DashAI.Benchmarks.HpoCommand.RunAsync(args[1..]),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: DashAI.Benchmarks <command> [options]");
    Console.Error.WriteLine("commands: ingest --csv PATH --label COLUMN [--task T]");
    Console.Error.WriteLine("          train --train PATH --test PATH --label COLUMN --task TASK --model NAME [--params JSON] [--seed N] [--fits N] [--warm-up true|false]");
    Console.Error.WriteLine("          predict --train PATH --test PATH --label COLUMN --task TASK --model NAME [--seed N]");
    Console.Error.WriteLine("          explain --train PATH --test PATH --label COLUMN --task TASK --model NAME --explainer pfi [--repeats N] [--max-samples N] [--seed N]");
    Console.Error.WriteLine("          queue-latency [--runs N] [--idle-ms M]   (needs 'npm ci' for Azurite)");
    Console.Error.WriteLine("          list [--runs N] [--samples K] [--limit L]   (needs 'npm ci' for Azurite)");
    Console.Error.WriteLine("          hpo --train PATH --validation PATH --test PATH --label COLUMN --task TASK --model NAME --trials N [--sampler TPE|Random] [--seed N] [--space JSON] [--pruning asha|none]");
    return 2;
}
