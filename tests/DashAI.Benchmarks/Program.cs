// Benchmark commands print one JSON line of figures each; see README ("Benchmarks").
return args.FirstOrDefault() switch
{
    "ingest" => DashAI.Benchmarks.IngestCommand.Run(args[1..]),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: DashAI.Benchmarks <command> [options]");
    Console.Error.WriteLine("commands: ingest --csv PATH --label COLUMN [--task T]");
    return 2;
}
