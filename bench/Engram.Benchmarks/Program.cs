using System;
using System.Linq;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Filters;
using Perfolizer.Horology;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace Engram.Benchmarks
{
    /// <summary>
    /// Entry point.
    /// <list type="bullet">
    /// <item><c>-- --filter '*'</c> (any BenchmarkDotNet arguments): the benchmarks. Default job: 1 launch, 2 warm-up and
    /// 8 measured iterations of ~250 ms, tiered JIT off (the whole suite takes ~5-10 minutes on 2 cores). <c>--job short</c> (or dry) for
    /// a quicker smoke run. Add <c>--keep-fixtures</c> to reuse the stores built by an earlier run.</item>
    /// <item><c>-- --concurrency [--processes 1,4,8] [--writes 250]</c>: the multi-process writer test.</item>
    /// <item><c>-- --mcp [--calls 1000]</c>: engram_put/engram_get round trips through engram-mcp beside the same calls in-process.</item>
    /// <item><c>--verify-memory build-large|build-many|run &lt;root&gt;</c>: the verifier's peak memory (see VerifyMemory).</item>
    /// <item><c>--writer &lt;root&gt; &lt;n&gt; &lt;id&gt;</c>: one writer process of that test (started by it).</item>
    /// <item><c>--peak &lt;op&gt; &lt;location&gt; &lt;target&gt;</c>: one operation of <c>--ratios --only scale</c>'s memory table (started by it).</item>
    /// </list>
    /// </summary>
    public static class Program
    {
        public static int Main(string[] args)
        {
            if (args.Length > 0 && args[0] == "--writer") return Concurrency.Writer(args);
            if (args.Length > 0 && args[0] == "--peak") return Scale.Peak(args);
            if (args.Contains("--probe")) return Probe.Run();
            if (args.Length > 0 && args[0] == "--verify-memory") return VerifyMemory.Run(args.Skip(1).ToArray());
            if (args.Contains("--ratios")) return Paired.Run(args.Where(a => a != "--ratios").ToArray());
            if (args.Contains("--concurrency")) return Concurrency.Run(args.Where(a => a != "--concurrency").ToArray());
            if (args.Contains("--mcp")) return McpRoundTrip.Run(args.Where(a => a != "--mcp").ToArray());

            bool keep = args.Contains("--keep-fixtures");
            args = args.Where(a => a != "--keep-fixtures").ToArray();
            if (!keep) BenchEnv.DeleteDir(BenchEnv.FixtureDir); // fixtures are built once per run, by the first benchmark that needs them
            BenchEnv.DeleteDir(System.IO.Path.Combine(BenchEnv.BaseDir, "run"));

            // Our default job; --job short|medium|long|dry on the command line replaces it.
            var job = Job.Default
                .WithLaunchCount(1)
                .WithWarmupCount(2)
                .WithIterationCount(8)
                .WithIterationTime(TimeInterval.FromMilliseconds(250))
                .WithId("Engram")
                .AsDefault();

            // BenchmarkDotNet lets a global default job win over --job, so only add ours when no job is named.
            bool jobNamed = args.Any(a => a == "--job" || a == "-j" || a.StartsWith("--job=", StringComparison.Ordinal));
            var config = DefaultConfig.Instance
                .AddColumn(StatisticColumn.Median, StatisticColumn.OperationsPerSecond)
                .WithSummaryStyle(SummaryStyle.Default.WithMaxParameterColumnWidth(20))
                .WithOptions(ConfigOptions.DisableLogFile);

            if (!jobNamed) config = config.AddJob(job);
            // Every job (ours or --job ...): no tiered JIT, so a ratio never compares warmed-up code with code still
            // being re-jitted (tiered PGO takes seconds of calls to settle on a loaded 2-core machine).
            config = config.AddJob(Job.Default.WithEnvironmentVariable("DOTNET_TieredCompilation", "0").AsMutator());

            if (!BenchEnv.GitAvailable())
            {
                Console.WriteLine("NOTE: git is not installed (not on PATH): skipping the GitComparison benchmarks.");
                config = config.AddFilter(new SimpleFilter(b => b.Descriptor.Type != typeof(GitComparison)));
            }

            Console.WriteLine($"Engram benchmarks: stores under {BenchEnv.BaseDir} (set ENGRAM_BENCH_DIR to move them).");
            var summaries = BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, config);
            return summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success)) ? 1 : 0;
        }
    }
}
