using System;
using System.Collections.Generic;
using System.Linq;
using Engram.Core;

namespace Engram.Core.Tests
{
    /// <summary>
    /// A store with branches in a known state, built the same way every time, and the multi-file operations the
    /// fault-injection and crash tests run on it.
    /// </summary>
    /// <remarks>
    /// shared (tracked): main a=1 b=2 c=3 d=4 e=5; namespace forks "feat" and "other" taken then;
    /// on feat: a=10, b deleted, n=100 (new), c=30; then on main: c=33 (conflicts with feat), d=44 (one-sided).
    /// session (untracked): main s1=1 s2=2; namespace fork "sb": s1=11, s3=3 (new).
    /// </remarks>
    public static class BranchScenario
    {
        public const string Ns = "shared";
        public const string Untracked = "session";

        public static readonly string[] Namespaces = { Ns, Untracked };

        private static void Set(EngramStore s, string ns, string key, object? value, string? branch = null, string? reason = null) =>
            s.Set(new SetRequest(ns, key, value) { Branch = branch, Actor = "tester", Reason = reason });

        public static EngramStore Build(string root)
        {
            var s = new EngramStore(root);
            s.Initialize();
            foreach (var (k, v) in new[] { ("a", 1), ("b", 2), ("c", 3), ("d", 4), ("e", 5) }) Set(s, Ns, k, v, reason: "seed");
            s.Fork(Ns, "feat", null, "tester", "feature work");
            s.Fork(Ns, "other", null, "tester", "another line");
            Set(s, Ns, "a", 10, "feat", "feat changes a");
            s.Remove(Ns, "b", "tester", "feat drops b", "feat");
            Set(s, Ns, "n", 100, "feat", "feat adds n");
            Set(s, Ns, "c", 30, "feat", "feat changes c");
            Set(s, Ns, "c", 33, reason: "main changes c"); // conflicts with feat; keeps bases for feat and other
            Set(s, Ns, "d", 44, reason: "main changes d"); // one-sided on main

            Set(s, Untracked, "s1", 1);
            Set(s, Untracked, "s2", 2);
            s.Fork(Untracked, "sb", null, "tester", "session work");
            Set(s, Untracked, "s1", 11, "sb");
            Set(s, Untracked, "s3", 3, "sb");
            return s;
        }

        /// <summary>
        /// A copy of <paramref name="templateRoot"/> (a store built by <see cref="Build"/>) at <paramref name="root"/>:
        /// the same store byte for byte, ids included, much faster than building it again.
        /// </summary>
        public static EngramStore CopyOf(string templateRoot, string root)
        {
            foreach (var d in System.IO.Directory.EnumerateDirectories(templateRoot, "*", System.IO.SearchOption.AllDirectories))
                System.IO.Directory.CreateDirectory(System.IO.Path.Combine(root, System.IO.Path.GetRelativePath(templateRoot, d)));
            System.IO.Directory.CreateDirectory(root);
            foreach (var f in System.IO.Directory.EnumerateFiles(templateRoot, "*", System.IO.SearchOption.AllDirectories))
            {
                var rel = System.IO.Path.GetRelativePath(templateRoot, f);
                if (rel == "_lock") continue;
                System.IO.File.Copy(f, System.IO.Path.Combine(root, rel));
            }
            return new EngramStore(root);
        }

        /// <summary>A named multi-file operation on the built store.</summary>
        public sealed class Operation
        {
            public Operation(string name, Func<EngramStore, object?> run, bool fastPath = false, bool batch = false)
            {
                Name = name;
                Run = run;
                FastPath = fastPath;
                Batch = batch;
            }

            public string Name { get; }
            public Func<EngramStore, object?> Run { get; }
            /// <summary>A single-memory write without a transaction (its only step is "prov-appended").</summary>
            public bool FastPath { get; }
            /// <summary>A batch (SetMany/RemoveMany): when its session fails (not a crash), its records are written again
            /// one at a time, so the operation as a whole still succeeds.</summary>
            public bool Batch { get; }
            public override string ToString() => Name;
        }

        public static readonly IReadOnlyList<Operation> Operations = new[]
        {
            new Operation("merge-theirs", s => s.Merge(Ns, "feat", MergeStrategy.Theirs, "merger", "merge feat")),
            new Operation("merge-conflict-branch", s => s.Merge(Ns, "feat", MergeStrategy.ConflictBranch, "merger", "merge feat")),
            new Operation("merge-untracked", s => s.Merge(Untracked, "sb", MergeStrategy.Fail, "merger", "merge sb")),
            new Operation("fork-keys", s => s.Fork(Ns, "kf", new[] { "a", "c", "e" }, "forker", "key fork")),
            new Operation("remove-branch", s => s.RemoveBranch(Ns, "feat")),
            new Operation("branch-set", s => s.Set(new SetRequest(Ns, "e", 55) { Branch = "feat", Actor = "writer", Reason = "feat changes e" })),
            new Operation("branch-remove", s => s.Remove(Ns, "e", "writer", "other drops e", "other")),
            new Operation("main-set-with-base", s => s.Set(new SetRequest(Ns, "e", 50) { Actor = "writer", Reason = "main changes e" })),
            new Operation("main-remove-with-base", s => s.Remove(Ns, "a", "writer", "main drops a")),
            // A batch (SetMany/RemoveMany): one write session, so one journal transaction for all of it.
            new Operation("set-many", s => s.SetMany(new[]
            {
                new SetRequest(Ns, "e", 51) { Actor = "writer", Reason = "batch: main changes e" }, // keeps bases for feat and other
                new SetRequest(Ns, "z", 26) { Actor = "writer", Reason = "batch: new z" },
                new SetRequest(Ns, "a", 11) { Branch = "feat", Actor = "writer", Reason = "batch: feat changes a again" },
                new SetRequest(Untracked, "s2", 22) { Actor = "writer" },
            }), batch: true),
            new Operation("remove-many", s => s.RemoveMany(new[]
            {
                new RemoveRequest(Ns, "d") { Actor = "writer", Reason = "batch: main drops d" },
                new RemoveRequest(Ns, "e") { Actor = "writer", Reason = "batch: other drops e", Branch = "other" },
                new RemoveRequest(Untracked, "s2") { Actor = "writer" },
            }), batch: true),
            new Operation("main-set-fast-path", s => s.Set(new SetRequest(Ns, "c", 333) { Actor = "writer", Reason = "main changes c again" }), fastPath: true),
        };

        public static Operation Get(string name) => Operations.Single(o => o.Name == name);

        public static IEnumerable<object[]> OperationNames() => Operations.Select(o => new object[] { o.Name });

        /// <summary>A comparable summary of an operation's return value.</summary>
        public static string Describe(object? result)
        {
            switch (result)
            {
                case MergeResult m:
                    return string.Join("; ", m.Items.Select(i => $"{i.Key}:{i.Outcome}:{StoreStateName(i.Resolution)}"))
                           + " | conflict branches: " + string.Join(",", m.ConflictBranches.Select(StoreStateName));
                case BranchRecord r:
                    return $"branch {r.Name} keys={(r.Keys == null ? "*" : string.Join(",", r.Keys))}";
                case BranchInfo b:
                    return $"removed {b.Record.Name} changed={b.ChangedCount}";
                case SetResult s:
                    return $"set {s.Memory.Key}@{s.Memory.Branch} v{s.Memory.Version} changed={s.Changed} entry={s.Entry?.Seq}";
                case Provenance.ProvenanceEntry e:
                    return $"entry {e.Seq} {e.Action}@{e.Branch}";
                case IEnumerable<SetOutcome> many:
                    return string.Join(" | ", many.Select(o => o.Error != null ? "error " + ((o.Error as EngramException)?.ErrorId ?? o.Error.GetType().Name) : Describe(o.Result)));
                case IEnumerable<RemoveOutcome> many:
                    return string.Join(" | ", many.Select(o => o.Error != null ? "error " + ((o.Error as EngramException)?.ErrorId ?? o.Error.GetType().Name) : Describe(o.Entry)));
                case null:
                    return "null";
                default:
                    return result.ToString() ?? "";
            }
        }

        private static string StoreStateName(string? s) =>
            s == null ? "∅" : System.Text.RegularExpressions.Regex.Replace(s, "-conflict-[0-9a-z]{8}", "-conflict-X");
    }
}
