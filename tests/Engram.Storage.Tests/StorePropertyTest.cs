using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Text;
using System.Threading;
using CsCheck;
using Engram.Core;
using Engram.Core.Storage;
using Engram.Core.Values;
using Engram.Storage.Sql;
using Npgsql;
using Xunit;
using Xunit.Abstractions;

namespace Engram.Storage.Tests
{
    /// <summary>
    /// The property test: random sequences of operations (Set tracked and untracked, with tags, reasons, actors and
    /// values of many types up to large strings and nested maps; Remove; Restore; Fork; Set and Remove on a branch;
    /// Merge with every strategy; RemoveBranch; repair), some with a crash injected at a random step, run against a
    /// fresh store of <see cref="Kind"/> and against <see cref="StoreModel"/>. After every operation the store must
    /// equal the model: the same memories (value, type, tags, version, id), the same histories (entry for entry, gap-free
    /// sequence, verifying chain), the same branches and branch views, and Verify healthy. A refused operation must give
    /// the model's error id and change nothing. A crashed operation (the process "dies" at the k-th step of its write:
    /// a file-store transaction step, or a SQL statement of its transaction) must, once the store is reopened and the
    /// next writer has run, have happened entirely or not at all. CsCheck prints the seed of a failing sequence
    /// (rerun with it: CsCheck_Seed=&lt;seed&gt;).
    /// </summary>
    public abstract partial class StorePropertyTest
    {
        private readonly ITestOutputHelper _out;
        protected StorePropertyTest(ITestOutputHelper output) { _out = output; }

        protected abstract BackendKind Kind { get; }

        /// <summary>Sequences per backend, and the longest sequence.</summary>
        protected virtual int Runs => 30;

        /// <summary>ENGRAM_PROPERTY_RUNS overrides <see cref="Runs"/> (a longer hunt locally); CsCheck_Seed replays a failure.</summary>
        private static bool Trace => Environment.GetEnvironmentVariable("ENGRAM_PROPERTY_TRACE") == "1";
        private int RunCount => int.TryParse(Environment.GetEnvironmentVariable("ENGRAM_PROPERTY_RUNS"), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : Runs;
        private const int MaxOps = 60;

        internal static readonly string[] Namespaces = { "t", "u" }; // "t" is tracked by the store's configuration
        internal static readonly string[] Keys = { "a", "b", "c" };
        private const string Scratch = "zz";

        private sealed class Stats
        {
            public int Runs, Ops, Applied, Refused, Crashed, CrashedApplied, CrashedDiscarded, CrashedNoop, Unchanged, Repairs, MergedItems, ConflictsResolved, ConflictBranches;
            public readonly SortedDictionary<string, int> CrashSteps = new SortedDictionary<string, int>(StringComparer.Ordinal);
            public readonly SortedDictionary<string, int> ByKind = new SortedDictionary<string, int>(StringComparer.Ordinal);
            public readonly SortedDictionary<string, int> RefusedBy = new SortedDictionary<string, int>(StringComparer.Ordinal);
        }

        [BackendFact]
        public void RandomOperationSequencesWithCrashes_MatchTheModel()
        {
            if (Kind == BackendKind.Postgres) PostgresGate.EnsureAvailable();
            var stats = new Stats();
            var clock = Stopwatch.StartNew();
            var gen = Gen.Int[0, 1 << 20].Array[8].Array[1, MaxOps];
            // PostgreSQL: one database for the test, a fresh schema (search path) per run; creating a database per run
            // would take most of the time.
            using (var shared = Kind == BackendKind.Postgres ? BackendLocation.Create(Kind) : null)
            {
                int schemas = 0;
                Func<string> fresh = () =>
                {
                    if (shared == null) return "";
                    var schema = "run" + Interlocked.Increment(ref schemas).ToString(CultureInfo.InvariantCulture);
                    using (var c = new NpgsqlConnection(shared.Location))
                    {
                        c.Open();
                        using (var cmd = c.CreateCommand()) { cmd.CommandText = "CREATE SCHEMA " + schema; cmd.ExecuteNonQuery(); }
                    }
                    return shared.Location + ";Search Path=" + schema;
                };
                gen.Sample(ops => Run(ops, stats, fresh), writeLine: _out.WriteLine, iter: RunCount, threads: 1, print: Print);
            }
            clock.Stop();
            _out.WriteLine(string.Format(CultureInfo.InvariantCulture,
                "{0} property test: {1} runs, {2} operations ({3} applied, {4} refused, {5} unchanged, {6} crashed: {7} found applied, {8} found discarded, {9} changed nothing either way; {10} repairs) in {11:0.0} s",
                Kind, stats.Runs, stats.Ops, stats.Applied, stats.Refused, stats.Unchanged, stats.Crashed, stats.CrashedApplied, stats.CrashedDiscarded,
                stats.CrashedNoop, stats.Repairs, clock.Elapsed.TotalSeconds));
            _out.WriteLine($"merges: {stats.MergedItems} memories merged, {stats.ConflictsResolved} conflicts resolved (Ours/Theirs/ConflictBranch), {stats.ConflictBranches} conflict branches made");
            _out.WriteLine("crashes at: " + string.Join(", ", stats.CrashSteps.Select(kv => kv.Key + " " + kv.Value)));
            _out.WriteLine("operations: " + string.Join(", ", stats.ByKind.Select(kv => kv.Key + " " + kv.Value)));
            _out.WriteLine("refusals: " + string.Join(", ", stats.RefusedBy.Select(kv => kv.Key + " " + kv.Value)));
            Assert.True(stats.Crashed > 0 && stats.Refused > 0 && stats.Applied > 0, "the generator exercised too little");
        }

        private static string Print(int[][] ops) => string.Join("\n", ops.Select((o, i) => i + ": " + Op.Decode(o)));

        // ------------------------------------------------------------------ operations

        internal enum OpKind { Set, SetOnBranch, Remove, RemoveOnBranch, Restore, Fork, Merge, RemoveBranch, Repair }

        internal sealed class Op
        {
            public OpKind Kind;
            public string Ns = "t", Key = "a", Actor = "agent";
            public int BranchPick;
            public string? Reason;
            public int ValuePick, ValueVariant;
            public string[]? Tags;
            public bool? Track;
            public int Version;
            public string[]? ForkKeys;
            public MergeStrategy Strategy;
            public int CrashAt = -1;

            private static readonly (OpKind kind, int weight)[] Weights =
            {
                (OpKind.Set, 28), (OpKind.SetOnBranch, 20), (OpKind.Remove, 7), (OpKind.Restore, 8), (OpKind.Fork, 10), (OpKind.Merge, 10),
                (OpKind.RemoveOnBranch, 4), (OpKind.RemoveBranch, 2), (OpKind.Repair, 2),
            };

            /// <summary>An operation from 8 random numbers (smaller numbers give simpler operations, for shrinking).</summary>
            public static Op Decode(int[] r)
            {
                int total = Weights.Sum(w => w.weight), pick = r[0] % total;
                var kind = OpKind.Set;
                foreach (var (k, w) in Weights) { if (pick < w) { kind = k; break; } pick -= w; }
                var op = new Op
                {
                    Kind = kind,
                    Ns = Namespaces[r[1] % Namespaces.Length],
                    Key = Keys[(r[1] / 2) % Keys.Length],
                    BranchPick = r[2] % 8,
                    ValuePick = r[3] % 12,
                    ValueVariant = (r[3] / 12) % 3,
                    Tags = ((r[4] % 5) switch { 1 => Array.Empty<string>(), 2 => new[] { "x" }, 3 => new[] { "x", "y" }, 4 => new[] { "y", " x " }, _ => null }),
                    Track = (r[4] / 5 % 10) switch { 0 => true, 1 => false, _ => (bool?)null },
                    Actor = "agent" + (r[5] % 2),
                    Reason = r[5] / 2 % 3 == 0 ? null : "why " + (r[5] / 2 % 3),
                    Version = 1 + r[6] % 5,
                    Strategy = (MergeStrategy)(r[6] / 5 % 4),
                    ForkKeys = r[6] / 20 % 2 == 0 ? null : Keys.Where((k, i) => ((r[6] / 40 % 7 + 1) & (1 << i)) != 0).ToArray(),
                    CrashAt = r[7] % 3 == 0 ? (r[7] / 3 % 3 == 0 ? 0 : r[7] / 9 % 9) : -1, // a single-step write can only die at step 0
                };
                if (op.ForkKeys != null && r[6] / 280 % 4 == 0) op.ForkKeys = op.ForkKeys.Concat(new[] { "missing" }).ToArray();
                return op;
            }

            public Op MemberwiseCloneOp() => (Op)MemberwiseClone();

            public override string ToString() => Kind switch
            {
                OpKind.Set or OpKind.SetOnBranch =>
                    $"{Kind} {Ns}/{Key}{(Kind == OpKind.SetOnBranch ? " branch#" + BranchPick : "")} = {Describe(ValueOf(ValuePick, ValueVariant))} tags={(Tags == null ? "keep" : "[" + string.Join(",", Tags) + "]")} track={Track?.ToString() ?? "default"} by {Actor} ({Reason ?? "-"})",
                OpKind.Remove or OpKind.RemoveOnBranch => $"{Kind} {Ns}/{Key}{(Kind == OpKind.RemoveOnBranch ? " branch#" + BranchPick : "")}",
                OpKind.Restore => $"Restore {Ns}/{Key} v{Version}{(BranchPick >= 6 ? " branch#" + BranchPick : "")}",
                OpKind.Fork => $"Fork {Ns} branch#{BranchPick} keys={(ForkKeys == null ? "all" : string.Join(",", ForkKeys))}",
                OpKind.Merge => $"Merge {Ns} branch#{BranchPick} {Strategy}",
                OpKind.RemoveBranch => $"RemoveBranch {Ns} branch#{BranchPick}",
                _ => "Repair",
            } + (CrashAt >= 0 ? $" [crash at step {CrashAt}]" : "");
        }

        private static readonly string[] Large = Enumerable.Range(0, 3).Select(v =>
            string.Concat(Enumerable.Repeat("large value " + v + " — ünïcødé ☃ line\n", 2400))).ToArray(); // ~74,000 characters: hashed while the file is written

        /// <summary>A value of one of many types; few variants each, so that unchanged writes and equal changes happen.</summary>
        internal static object? ValueOf(int pick, int variant) => pick switch
        {
            0 => variant * 7,
            1 => "text " + variant,
            2 => new EngramMap(MapKind.Object)
            {
                { "n", variant }, { "list", new object?[] { 1, "x", null, true, new object?[] { 2.5, "deep" } } },
                { "inner", new EngramMap(MapKind.Ordered) { { "z", "last first" }, { "a", variant == 2 ? (object?)null : 3L } } },
            },
            3 => new object?[] { variant, "two", 3.25, new EngramMap(MapKind.Ordered) { { "k", "v" + variant } } },
            4 => Large[variant],
            5 => 10_000_000_000L + variant,
            6 => variant / 4.0 + 0.1,
            7 => variant == 1,
            8 => null,
            9 => variant switch { 0 => (object)12.5m, 1 => new DateTime(2024, 2, 29, 12, 0, 0, DateTimeKind.Utc), _ => new byte[] { 0, 1, 2, 255 } },
            10 => "ünï\ncode: ☃ " + variant + " 'quoted' \"double\" #not-a-comment",
            _ => variant == 0 ? "" : variant == 1 ? "  padded  " : "true",
        };

        private static string Describe(object? v) => v switch
        {
            null => "null",
            string s when s.Length > 40 => $"<string of {s.Length}>",
            string s => "\"" + s.Replace("\n", "\\n") + "\"",
            EngramMap m => "{map " + m.Count + "}",
            object?[] a => "[list " + a.Length + "]",
            byte[] b => "bytes[" + b.Length + "]",
            _ => v.GetType().Name + " " + Convert.ToString(v, CultureInfo.InvariantCulture),
        };

        /// <summary>The branch an operation names: f1, f2, one that never exists, or one of the namespace's existing branches.</summary>
        private static string ResolveBranch(StoreModel model, string ns, int pick)
        {
            if (pick == 0) return "f1";
            if (pick == 1) return "gone";
            var existing = model.BranchesOf(ns).Select(b => b.Name).ToList();
            return existing.Count == 0 ? "f1" : existing[pick % existing.Count];
        }

        /// <summary>The branch a fork makes: mostly a new one (f1..f3), sometimes "main" or one that exists (both refused).</summary>
        private static string ForkName(StoreModel model, string ns, int pick)
        {
            if (pick <= 3) return "f" + (pick % 3 + 1);
            if (pick == 4) return Names.DefaultBranch;
            var existing = model.BranchesOf(ns).Select(b => b.Name).ToList();
            return existing.Count == 0 ? "f3" : existing[pick % existing.Count];
        }

        // ------------------------------------------------------------------ one run

        private sealed class Outcome
        {
            public string? Error;
            public bool Changed;
            public List<string> ConflictBranches = new List<string>();
            public int Merged, Conflicts;
        }

        private void Run(int[][] raw, Stats stats, Func<string> freshSchema)
        {
            var ops = raw.Select(Op.Decode).ToList();
            using (var files = Kind == BackendKind.Postgres ? null : BackendLocation.Create(Kind))
            {
                var location = files?.Location ?? freshSchema();
                Func<IEngramStore> open = () => EngramBackends.Open(location);
                var store = open();
                try
                {
                    store.Initialize(new StoreConfig { TrackedNamespaces = new List<string> { "t" } });
                    var model = new StoreModel(new[] { "t" });
                    var ids = new Dictionary<string, string>(StringComparer.Ordinal);
                    bool debt = false; // a crash on the file store may leave a dangling entry or a temp file until a repair
                    lock (stats) stats.Runs++;
                    for (int i = 0; i < ops.Count; i++)
                    {
                        var op = OnBranchNamespace(model, ops[i]);
                        string where = $"operation {i} ({op})";
                        lock (stats)
                        {
                            stats.Ops++;
                            stats.ByKind[op.Kind.ToString()] = stats.ByKind.TryGetValue(op.Kind.ToString(), out var n) ? n + 1 : 1;
                        }
                        if (op.Kind == OpKind.Repair)
                        {
                            Repair(store, where);
                            debt = false;
                            lock (stats) stats.Repairs++;
                            Check(store, model, ids, debt, where);
                            continue;
                        }

                        int crashAt = op.CrashAt;
                        var expected = model.Copy();
                        var planned = ApplyToModel(expected, op, ids);
                        bool crashed = false;
                        Outcome actual;
                        int steps = 0;
                        string crashStep = "";
                        SetHook(store, crashAt < 0 ? null : step =>
                        {
                            if (steps++ == crashAt) throw new SimulatedCrashException(crashStep = step.StartsWith("applied-", StringComparison.Ordinal) ? "applied-N" : step);
                        });
                        try { actual = Execute(store, op, model); }
                        catch (SimulatedCrashException) { crashed = true; actual = new Outcome(); }
                        finally { SetHook(store, null); }

                        if (crashed)
                        {
                            lock (stats) stats.Crashed++;
                            // The file store refuses before its transaction starts; a SQL store may refuse inside it
                            // (the crash then comes first, and nothing may be left either way).
                            if (Kind == BackendKind.File) Assert.True(planned.Error == null, $"{where}: the store began writing, but the model expected {planned.Error}");
                            if (planned.Error != null) expected = model.Copy();
                            // The process is gone: another one opens the store, and its first write recovers what was left.
                            (store as IDisposable)?.Dispose();
                            store = open();
                            store.Set(new SetRequest(Scratch, "ping", i) { Actor = "next-writer" });
                            if (Kind == BackendKind.File) debt = true;
                            var withIds = new Dictionary<string, string>(ids, StringComparer.Ordinal);
                            var withoutIds = new Dictionary<string, string>(ids, StringComparer.Ordinal);
                            var unchanged = model.Copy(); // what the comparison learns (an emptied log) is kept with the outcome chosen
                            var asDiscarded = Compare(store, unchanged, withoutIds, debt);
                            var asApplied = planned.Error != null ? asDiscarded : Compare(store, expected, withIds, debt);
                            Assert.True(asApplied.Count == 0 || asDiscarded.Count == 0,
                                $"{where}: after the crash at step {crashAt} ('{crashStep}') and recovery the store is neither as after the operation:\n  {string.Join("\n  ", asApplied)}\nnor as before it:\n  {string.Join("\n  ", asDiscarded)}");
                            // A SQL transaction that did not commit is gone: the operation must not have happened.
                            Assert.True(Kind == BackendKind.File || asDiscarded.Count == 0,
                                $"{where}: the crash at '{crashStep}' came before the commit, but the store kept the operation:\n  {string.Join("\n  ", asDiscarded)}");
                            lock (stats)
                            {
                                stats.CrashSteps[crashStep] = stats.CrashSteps.TryGetValue(crashStep, out var n) ? n + 1 : 1;
                                if (asDiscarded.Count == 0 && asApplied.Count == 0) stats.CrashedNoop++;
                                else if (asDiscarded.Count == 0) stats.CrashedDiscarded++;
                                else stats.CrashedApplied++;
                            }
                            if (asDiscarded.Count == 0) { model = unchanged; ids = withoutIds; }
                            else { model = expected; ids = withIds; }
                            continue;
                        }

                        if (Trace) _out.WriteLine($"{where}: {actual.Error ?? (actual.Changed ? "changed" : "ok")}{(op.Kind == OpKind.Merge ? $" merged {actual.Merged}, conflicts {actual.Conflicts}" : "")}");
                        Assert.True(planned.Error == actual.Error, $"{where}: the model expected {planned.Error ?? "success"}, the store gave {actual.Error ?? "success"}"
                            + $" (model: {op.Ns}/{op.Key} has {(model.HasHistory(op.Ns, op.Key) ? model.History[(op.Ns, op.Key)].Count : 0)} entries; store: HasProvenance {store.HasProvenance(op.Ns, op.Key)})");
                        if (actual.Error != null)
                        {
                            lock (stats) { stats.Refused++; stats.RefusedBy[actual.Error] = stats.RefusedBy.TryGetValue(actual.Error, out var n) ? n + 1 : 1; }
                            // Reads only: a refusal that damaged the store is found by the next operation's Verify.
                            Check(store, model, ids, debt, where + " (refused: nothing may change)", verify: false);
                            continue;
                        }
                        if (op.Kind == OpKind.Set || op.Kind == OpKind.SetOnBranch || op.Kind == OpKind.Restore)
                            Assert.True(planned.Changed == actual.Changed, $"{where}: the model expected Changed={planned.Changed}, the store said {actual.Changed}");
                        if (op.Kind == OpKind.Merge)
                            Assert.True(planned.ConflictBranches.SequenceEqual(actual.ConflictBranches),
                                $"{where}: conflict branches expected [{string.Join(",", planned.ConflictBranches)}], got [{string.Join(",", actual.ConflictBranches)}]");
                        if (op.Kind == OpKind.Merge)
                            lock (stats) { stats.MergedItems += actual.Merged; stats.ConflictsResolved += actual.Conflicts; stats.ConflictBranches += actual.ConflictBranches.Count; }
                        lock (stats) { if (planned.Changed || op.Kind != OpKind.Set && op.Kind != OpKind.SetOnBranch && op.Kind != OpKind.Restore) stats.Applied++; else stats.Unchanged++; }
                        model = expected;
                        Check(store, model, ids, debt, where);
                    }
                    Repair(store, "the final repair");
                    Check(store, model, ids, false, "the end of the run");
                }
                finally { (store as IDisposable)?.Dispose(); }
            }
        }

        private static void SetHook(IEngramStore store, Action<string>? hook)
        {
            if (store is EngramStore file) file.FaultHook = hook;
            else ((SqlEngramStore)store).FaultHook = hook;
        }

        private static void Repair(IEngramStore store, string where)
        {
            store.Verify(repair: true);
            var after = store.Verify(repair: false);
            Assert.True(after.Healthy && after.Findings.Count == 0, $"{where}: after Verify(repair: true) the store still has: {Describe(after)}");
        }

        private static string Describe(StoreReport r) =>
            string.Join("; ", r.Findings.Select(f => $"{f.Severity} {f.Kind} {f.Namespace}/{f.Key}#{f.Seq}: {f.Message}"));

        /// <summary>An operation on a branch goes to a namespace that has branches; with none anywhere it forks one (mostly).</summary>
        private static Op OnBranchNamespace(StoreModel m, Op op)
        {
            bool onBranch = op.Kind == OpKind.SetOnBranch || op.Kind == OpKind.RemoveOnBranch || op.Kind == OpKind.Merge || op.Kind == OpKind.RemoveBranch
                            || op.Kind == OpKind.Restore && op.BranchPick >= 6;
            if (!onBranch || m.BranchesOf(op.Ns).Any()) return op;
            var other = Namespaces.FirstOrDefault(n => m.BranchesOf(n).Any());
            var moved = op.MemberwiseCloneOp();
            if (other != null) moved.Ns = other;
            else if (op.BranchPick != 1) { moved.Kind = OpKind.Fork; moved.BranchPick = 0; moved.ForkKeys = null; } // no branch anywhere: make one
            return moved;
        }

        private static Outcome ApplyToModel(StoreModel m, Op op, Dictionary<string, string> ids)
        {
            var o = new Outcome();
            bool changed = false;
            switch (op.Kind)
            {
                case OpKind.Set:
                    o.Error = m.Set(op.Ns, op.Key, null, ValueOf(op.ValuePick, op.ValueVariant), op.Tags, op.Track, op.Actor, op.Reason, null, out changed);
                    break;
                case OpKind.SetOnBranch:
                    o.Error = m.Set(op.Ns, op.Key, ResolveBranch(m, op.Ns, op.BranchPick), ValueOf(op.ValuePick, op.ValueVariant), op.Tags, op.Track, op.Actor, op.Reason, null, out changed);
                    break;
                case OpKind.Remove: o.Error = m.Remove(op.Ns, op.Key, null, op.Actor, op.Reason); break;
                case OpKind.RemoveOnBranch: o.Error = m.Remove(op.Ns, op.Key, ResolveBranch(m, op.Ns, op.BranchPick), op.Actor, op.Reason); break;
                case OpKind.Restore:
                    o.Error = m.Restore(op.Ns, op.Key, op.Version, op.BranchPick >= 6 ? ResolveBranch(m, op.Ns, op.BranchPick) : null, op.Actor, op.Reason, out changed);
                    break;
                case OpKind.Fork: o.Error = m.Fork(op.Ns, ForkName(m, op.Ns, op.BranchPick), op.ForkKeys, op.Actor, op.Reason); break;
                case OpKind.Merge:
                    o.Error = m.Merge(op.Ns, ResolveBranch(m, op.Ns, op.BranchPick), op.Strategy, op.Actor, op.Reason,
                        id => ids.TryGetValue(id, out var real) ? real : id, o.ConflictBranches);
                    break;
                case OpKind.RemoveBranch: o.Error = m.RemoveBranch(op.Ns, ResolveBranch(m, op.Ns, op.BranchPick)); break;
            }
            o.Changed = changed;
            return o;
        }

        private static Outcome Execute(IEngramStore s, Op op, StoreModel model)
        {
            var o = new Outcome();
            try
            {
                switch (op.Kind)
                {
                    case OpKind.Set:
                    case OpKind.SetOnBranch:
                        o.Changed = s.Set(new SetRequest(op.Ns, op.Key, ValueOf(op.ValuePick, op.ValueVariant))
                        {
                            Tags = op.Tags, TrackProvenance = op.Track, Actor = op.Actor, Reason = op.Reason,
                            Branch = op.Kind == OpKind.SetOnBranch ? ResolveBranch(model, op.Ns, op.BranchPick) : null,
                        }).Changed;
                        break;
                    case OpKind.Remove: s.Remove(op.Ns, op.Key, op.Actor, op.Reason); break;
                    case OpKind.RemoveOnBranch: s.Remove(op.Ns, op.Key, op.Actor, op.Reason, ResolveBranch(model, op.Ns, op.BranchPick)); break;
                    case OpKind.Restore:
                        o.Changed = s.Restore(op.Ns, op.Key, op.Version, op.Actor, op.Reason, op.BranchPick >= 6 ? ResolveBranch(model, op.Ns, op.BranchPick) : null).Changed;
                        break;
                    case OpKind.Fork: s.Fork(op.Ns, ForkName(model, op.Ns, op.BranchPick), op.ForkKeys, op.Actor, op.Reason); break;
                    case OpKind.Merge:
                        var merge = s.Merge(op.Ns, ResolveBranch(model, op.Ns, op.BranchPick), op.Strategy, op.Actor, op.Reason);
                        o.ConflictBranches.AddRange(merge.ConflictBranches);
                        o.Merged = merge.Merged.Count();
                        o.Conflicts = merge.Conflicts.Count();
                        break;
                    case OpKind.RemoveBranch: s.RemoveBranch(op.Ns, ResolveBranch(model, op.Ns, op.BranchPick)); break;
                }
            }
            catch (EngramException ex) { o.Error = ex.ErrorId; }
            return o;
        }
    }

    public sealed class FileStorePropertyTest : StorePropertyTest
    {
        public FileStorePropertyTest(ITestOutputHelper output) : base(output) { }
        protected override BackendKind Kind => BackendKind.File;
    }

    public sealed class SqliteStorePropertyTest : StorePropertyTest
    {
        public SqliteStorePropertyTest(ITestOutputHelper output) : base(output) { }
        protected override BackendKind Kind => BackendKind.Sqlite;
    }

    [RequiresPostgres]
    public sealed class PostgresStorePropertyTest : StorePropertyTest
    {
        public PostgresStorePropertyTest(ITestOutputHelper output) : base(output) { }
        protected override BackendKind Kind => BackendKind.Postgres;
        protected override int Runs => 20; // every statement is a round trip: fewer sequences, the same per-operation checks
    }
}
