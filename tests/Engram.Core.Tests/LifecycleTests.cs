using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using Engram.Core;
using Engram.Core.Provenance;
using Engram.Core.Values;
using Xunit;
using static Engram.Core.Tests.TestUtil;

namespace Engram.Core.Tests
{
    /// <summary>Copies of the frozen sample stores (tests/samples), never the originals.</summary>
    internal static class Samples
    {
        public static string RepoRoot()
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir != null && !File.Exists(Path.Combine(dir.FullName, "Engram.PowerShell.sln"))) dir = dir.Parent;
            return dir?.FullName ?? throw new InvalidOperationException("Engram.PowerShell.sln not found above " + AppContext.BaseDirectory);
        }

        /// <summary>Copies tests/samples/<paramref name="name"/> into <paramref name="parent"/>/<paramref name="name"/> and returns the copy.</summary>
        public static string Copy(string name, string parent)
        {
            var source = Path.Combine(RepoRoot(), "tests", "samples", name);
            Assert.True(File.Exists(Path.Combine(source, "engram.yaml")), $"sample '{source}' is missing");
            var dest = Path.Combine(parent, name);
            CopyDir(source, dest);
            return dest;
        }

        private static void CopyDir(string from, string to)
        {
            Directory.CreateDirectory(to);
            foreach (var d in Directory.EnumerateDirectories(from, "*", SearchOption.AllDirectories))
                Directory.CreateDirectory(Path.Combine(to, Path.GetRelativePath(from, d)));
            foreach (var f in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
                File.Copy(f, Path.Combine(to, Path.GetRelativePath(from, f)));
        }
    }

    /// <summary>
    /// The provenance lifecycle: frozen samples of every store format, format upgrade, schema guards, retention
    /// (squashing), tamper evidence with anchors, and time travel (AsOf).
    /// </summary>
    public sealed partial class LifecycleTests : IDisposable
    {
        private readonly TempStore _t = new TempStore();

        public void Dispose() => _t.Dispose();

        private EngramStore S => _t.Store;

        private static string Describe(StoreReport r) =>
            string.Join("\n", r.Findings.Select(f => $"{f.Severity} {f.Kind} {f.Namespace}/{f.Key}#{f.Seq}: {f.Message}"));

        private static void AssertHealthy(StoreReport r) => Assert.True(r.Healthy, "expected a healthy report, got:\n" + Describe(r));

        private static StoreFinding SingleFinding(StoreReport r, string kind)
        {
            var f = Assert.Single(r.Findings);
            Assert.True(f.Kind == kind, $"expected {kind}, got:\n" + Describe(r));
            Assert.False(r.Healthy);
            return f;
        }

        private SetResult Put(string key, object? value, string ns = "shared", string actor = "tester", bool? track = null) =>
            S.Set(new SetRequest(ns, key, value) { Actor = actor, TrackProvenance = track });

        /// <summary>The current time, then a short pause, so the next write's timestamp is strictly later.</summary>
        private static DateTime Mark()
        {
            Thread.Sleep(3);
            var t = DateTime.UtcNow;
            Thread.Sleep(3);
            return t;
        }

        private List<ProvenanceEntry> History(string key, string ns = "shared") => S.GetProvenance(ns, key, branch: "*").ToList();

        /// <summary>
        /// A history optimized to keep entries from <paramref name="keptFrom"/> on: it starts with a squashed entry,
        /// every plain write before that seq is gone (squashed), and the kept entries follow gap-free.
        /// </summary>
        private static void AssertSquashedBefore(List<ProvenanceEntry> h, long keptFrom)
        {
            Assert.Equal(ProvenanceActions.Squashed, h[0].Action);
            Assert.DoesNotContain(h, e => e.Seq < keptFrom && (e.Action == ProvenanceActions.Created || e.Action == ProvenanceActions.Revised));
            var kept = h.Where(e => e.Seq >= keptFrom).Select(e => e.Seq).ToList();
            Assert.Equal(Enumerable.Range((int)keptFrom, kept.Count).Select(i => (long)i), kept);
            Assert.All(h.Where(e => e.Seq >= keptFrom), e => Assert.NotEqual(ProvenanceActions.Squashed, e.Action));
        }

        // ================================================================== frozen samples

        [Theory]
        [InlineData("format-1", 1)]
        [InlineData("format-2", 2)]
        public void Sample_store_reads_every_memory_branch_and_history_and_verifies(string sample, int format)
        {
            var root = Samples.Copy(sample, _t.Parent);
            var store = new EngramStore(root);

            Assert.Equal(format, store.Config.Format);
            Assert.Equal(new[] { "shared", "longterm" }, store.Config.TrackedNamespaces);
            AssertHealthy(store.Verify());
            foreach (var ns in new[] { "shared", "longterm" }) AssertHealthy(store.VerifyProvenance(ns));

            // shared/Config: revised twice on main, then 'alt config' merged from branch alt with -Strategy Theirs.
            var config = store.Get("shared", "Config");
            Assert.Equal("alt config", Assert.IsType<string>(config.Value));
            Assert.Equal(3, config.Version);
            Assert.Equal(new[] { "infra" }, config.Tags);
            var h = store.GetProvenance("shared", "Config", branch: "*").ToList();
            AssertChain(h);
            Assert.Equal(new[] { "created", "revised", "forked", "revised", "merged" }, h.Select(e => e.Action));
            Assert.Equal(new[] { "main", "main", "alt", "alt", "main" }, h.Select(e => e.Branch));
            Assert.Equal(new[] { 1, 2, 2, 3, 3 }, h.Select(e => e.Version));
            Assert.Equal(new[] { "initial", "scale out", null, null, "adopt alt" }, h.Select(e => e.Reason));
            Assert.All(h, e => Assert.Equal("sample", e.Actor));
            Assert.Equal("alt", h[4].Details!["from"]);
            // The first version's value is kept in the history, with its types.
            var v1 = Assert.IsType<EngramMap>(store.GetVersion("shared", "Config", 1).Value);
            Assert.Equal(MapKind.Object, v1.Kind);
            Assert.Equal(8080, Assert.IsType<int>(v1["port"]));
            Assert.Equal(new object?[] { "web-1", "web-2" }, Assert.IsType<object?[]>(v1["hosts"]));
            Assert.True(Assert.IsType<bool>(v1["tls"]));
            Assert.Equal(0.25, Assert.IsType<double>(v1["ratio"]));
            var since = Assert.IsType<DateTime>(v1["since"]);
            Assert.Equal(new DateTime(2026, 1, 15, 0, 0, 0, DateTimeKind.Utc), since);
            Assert.Equal(DateTimeKind.Utc, since.Kind);
            Assert.Equal(9090, Assert.IsType<int>(Assert.IsType<EngramMap>(store.GetVersion("shared", "Config", 2).Value)["port"]));

            // shared/config: its lower-case twin, with its own file and history.
            var twin = store.Get("shared", "config");
            Assert.Equal("merged twin", Assert.IsType<string>(twin.Value));
            Assert.Equal(2, twin.Version);
            Assert.NotEqual(config.Id, twin.Id);
            Assert.Equal(new[] { "created", "forked", "revised", "merged" }, store.GetProvenance("shared", "config", branch: "*").Select(e => e.Action));
            Assert.Equal("lower-case twin", store.GetVersion("shared", "config", 1).Value);

            // shared/../escape: a hashtable with long, decimal and guid.
            var escape = store.Get("shared", "../escape");
            var map = Assert.IsType<EngramMap>(escape.Value);
            Assert.Equal(MapKind.Hashtable, map.Kind);
            Assert.Equal(5L, Assert.IsType<long>(map["big"]));
            Assert.Equal(12.50m, Assert.IsType<decimal>(map["money"]));
            Assert.Equal(Guid.Parse("0f8fad5b-d9cb-469f-a165-70867728950e"), Assert.IsType<Guid>(map["id"]));
            Assert.True(File.Exists(Path.Combine(root, "shared", "_2e._2fescape.yaml")));
            Assert.Equal(new[] { "created" }, store.GetProvenance("shared", "../escape").Select(e => e.Action));

            // shared/gone: deleted, history kept.
            Assert.Null(store.TryGet("shared", "gone"));
            var gone = store.GetProvenance("shared", "gone").ToList();
            Assert.Equal(new[] { "created", "deleted" }, gone.Select(e => e.Action));
            Assert.Equal(new long[] { 1, 2 }, gone.Select(e => e.Seq));
            Assert.Equal("obsolete", gone[1].Reason);
            Assert.Equal("short-lived", store.GetVersion("shared", "gone", 1).Value);
            Assert.DoesNotContain("gone", store.List("shared").Select(l => l.Key));

            // longterm/facts: an ordered map on main, 'pending change' on the key fork 'pending'.
            var facts = Assert.IsType<EngramMap>(store.Get("longterm", "facts").Value);
            Assert.Equal(MapKind.Ordered, facts.Kind);
            Assert.Equal(new[] { "first", "second" }, facts.Keys);
            Assert.Equal(1, Assert.IsType<int>(facts["first"]));
            Assert.Equal(new object?[] { 1, "two", null }, Assert.IsType<object?[]>(facts["second"]));
            Assert.Equal("pending change", Assert.IsType<string>(store.TryGet("longterm", "facts", "pending")!.Value));
            Assert.Equal(new[] { "created", "forked", "revised" }, store.GetProvenance("longterm", "facts", branch: "*").Select(e => e.Action));
            Assert.Equal(new[] { "created" }, store.GetProvenance("longterm", "facts", branch: "main").Select(e => e.Action));

            // Branches.
            var branches = store.GetBranches();
            Assert.Equal(new[] { "longterm@pending", "shared@alt" }, branches.Select(b => b.Record.Namespace + "@" + b.Record.Name));
            Assert.Equal(new[] { "facts" }, branches[0].Record.Keys);
            Assert.Null(branches[1].Record.Keys);
            Assert.Equal("alt config", store.TryGet("shared", "Config", "alt")!.Value); // merged: the branch sees main again

            // Untracked memories: session/scratch is the string '42', notes/CON a multi-line string.
            var scratch = store.Get("session", "scratch");
            Assert.Equal("42", Assert.IsType<string>(scratch.Value));
            Assert.False(store.HasProvenance("session", "scratch"));
            var con = store.Get("notes", "CON");
            Assert.Equal("multi\nline", Assert.IsType<string>(con.Value));
            Assert.Equal("CON", con.Key);
            Assert.False(store.HasProvenance("notes", "CON"));

            // Heads of every tracked namespace.
            var head = store.GetHead("shared");
            Assert.Equal(new[] { "../escape", "Config", "config", "gone" }, head.Entries.Select(e => e.Key));
            Assert.Equal(new long[] { 1, 5, 4, 2 }, head.Entries.Select(e => e.Seq));
            AssertHealthy(store.VerifyAgainst(head));
        }

        [Fact]
        public void Format2_sample_has_a_squashed_history_that_still_verifies()
        {
            var root = Samples.Copy("format-2", _t.Parent);
            var store = new EngramStore(root);

            Assert.Equal("{maxEntries: 2}", store.Config.RetentionFor("thinking").ToYaml());
            Assert.True(store.Config.RetentionFor("shared").IsForever);
            var log = store.GetProvenance("thinking", "log").ToList();
            Assert.Equal(new[] { "squashed", "revised", "revised" }, log.Select(e => e.Action));
            Assert.Equal(new long[] { 3, 4, 5 }, log.Select(e => e.Seq));
            var squash = log[0];
            Assert.Equal(2, squash.Schema);
            Assert.Equal("sample", squash.Actor);
            Assert.False(squash.HasValue);
            Assert.True(squash.VerifyHash());
            Assert.Equal(3L, squash.Details!["count"]);
            Assert.Equal(1L, squash.Details["firstSeq"]);
            Assert.Equal(3L, squash.Details["lastSeq"]);
            Assert.Equal(log[1].PrevHash, squash.Details["lastHash"]);
            var actions = Assert.IsType<EngramMap>(squash.Details["actions"]);
            Assert.Equal(1L, actions["created"]);
            Assert.Equal(2L, actions["revised"]);
            Assert.Equal(3L, Assert.IsType<EngramMap>(squash.Details["actors"])["sample"]);
            Assert.Equal("step 5", store.Get("thinking", "log").Value);
            Assert.Equal("step 4", store.GetVersion("thinking", "log", 4).Value);
            Throws(EngramErrorIds.VersionNotFound, () => store.GetVersion("thinking", "log", 2));
            AssertHealthy(store.VerifyProvenance("thinking"));
            AssertHealthy(store.Verify());

            // Already within retention: optimizing again changes nothing.
            var before = Snapshot(root);
            var reports = store.Optimize(ns => ns == "thinking", actor: "t");
            Assert.Equal(0, Assert.Single(reports).HistoriesSquashed);
            AssertUnchanged(before, Snapshot(root).Where(kv => kv.Key != "_lock").ToSortedDictionary());

            // Writes continue the squashed chain.
            store.Set(new SetRequest("thinking", "log", "step 6") { Actor = "t" });
            Assert.Equal(6, store.GetProvenance("thinking", "log").Last().Seq);
            AssertHealthy(store.Verify());

            // Already current: no upgrade.
            var up = store.Upgrade();
            Assert.False(up.Applied);
            Assert.False(up.Changed);
        }

        [Fact]
        public void Format1_sample_is_read_as_is_refuses_retention_and_upgrades_atomically_and_byte_identically()
        {
            var root = Samples.Copy("format-1", _t.Parent);
            var store = new EngramStore(root);
            Assert.Equal(1, store.Config.Format);

            var before = Snapshot(root);
            Throws(EngramErrorIds.StoreUpgradeRequired, () => store.Optimize());
            Throws(EngramErrorIds.StoreUpgradeRequired, () => store.SetRetention("shared", new RetentionPolicy(null, 2)));
            Throws(EngramErrorIds.StoreUpgradeRequired, () => store.SetRetention(null, RetentionPolicy.Forever));
            var dry = store.Upgrade(dryRun: true);
            Assert.Equal(1, dry.FromFormat);
            Assert.Equal(2, dry.ToFormat);
            Assert.True(dry.Changed);
            Assert.False(dry.Applied);
            AssertUnchanged(before, Snapshot(root)); // refused before anything (even _lock) was created

            var up = store.Upgrade();
            Assert.Equal(1, up.FromFormat);
            Assert.Equal(2, up.ToFormat);
            Assert.True(up.Applied);
            Assert.Equal(2, store.Config.Format);

            var after = Snapshot(root);
            Assert.Equal(new[] { "_lock" }, after.Keys.Except(before.Keys));
            Assert.Empty(before.Keys.Except(after.Keys));
            foreach (var kv in before.Where(kv => kv.Key != "engram.yaml" && kv.Value != null))
                Assert.True(kv.Value!.AsSpan().SequenceEqual(after[kv.Key]), $"'{kv.Key}' changed");
            var yaml = File.ReadAllText(Path.Combine(root, "engram.yaml"));
            Assert.Contains("\nformat: 2\n", yaml);
            Assert.Contains("\nretention:\n  default: forever\n", yaml);
            var reopened = new EngramStore(root);
            Assert.Equal(2, reopened.Config.Format);
            Assert.Equal(new[] { "shared", "longterm" }, reopened.Config.TrackedNamespaces);
            Assert.True(reopened.Config.DefaultRetention.IsForever);
            AssertHealthy(reopened.Verify());
            Assert.Equal("alt config", reopened.Get("shared", "Config").Value);

            // A second upgrade is a no-op.
            var again = reopened.Upgrade();
            Assert.False(again.Applied);
            Assert.False(again.Changed);
            Assert.Equal(2, again.FromFormat);
            AssertUnchanged(after, Snapshot(root));

            // Retention now works; the default (forever) squashes nothing.
            Assert.All(reopened.Optimize(), r => Assert.Equal(0, r.HistoriesSquashed));
            AssertUnchanged(after, Snapshot(root));
            reopened.SetRetention("shared", new RetentionPolicy(null, 2));
            var reports = reopened.Optimize(ns => ns == "shared", actor: "t");
            // Branch alt (merged, not removed) is live and forked the whole namespace: only Config's entry before
            // the fork point could go, and a lone entry is not worth squashing; config has nothing before the fork.
            Assert.Equal(0, Assert.Single(reports).HistoriesSquashed);
            // (SetRetention's atomic write may leave its empty temp folder behind: that is not a change to the store.)
            AssertUnchanged(after, Snapshot(root).Where(kv => kv.Key != "engram.yaml" && kv.Key != "_tmp/").ToSortedDictionary().WithEngramYaml(after));
            AssertHealthy(reopened.Verify());
            // Without the branch, Config's created and revised entries (before the kept fork entry) are squashed;
            // config's lone created entry before its fork entry stays.
            reopened.RemoveBranch("shared", "alt");
            Assert.Equal(1, Assert.Single(reopened.Optimize(ns => ns == "shared", actor: "t")).HistoriesSquashed);
            var configHistory = reopened.GetProvenance("shared", "Config").ToList();
            AssertSquashedBefore(configHistory, 3);
            Assert.Equal(new[] { "squashed", "forked", "revised", "merged" }, configHistory.Select(e => e.Action));
            Assert.Equal(new[] { "created", "forked", "revised", "merged" }, reopened.GetProvenance("shared", "config").Select(e => e.Action));
            AssertHealthy(reopened.Verify());
            Assert.Equal("alt config", reopened.Get("shared", "Config").Value);
            Assert.Equal("merged twin", reopened.Get("shared", "config").Value);
        }

        // ================================================================== schema guards

        [Fact]
        public void Provenance_entry_of_a_newer_schema_is_refused_on_read_and_write_and_the_file_is_untouched()
        {
            Put("k", "v1");
            Put("k", "v2");
            var path = S.ProvenancePath("shared", "k");
            var text = File.ReadAllText(path);
            // As a newer build would write it: the entry and its trailer both say schema 3 (same length, so offsets hold).
            int last = text.LastIndexOf("---\nschema: 1\n", StringComparison.Ordinal);
            text = text.Substring(0, last) + text.Substring(last).Replace("---\nschema: 1\n", "---\nschema: 3\n").Replace("\n#~ 1 2 ", "\n#~ 3 2 ");
            Assert.Contains("#~ 3 2 2 revised ", text);
            File.WriteAllText(path, text);
            var before = Snapshot(_t.Root);

            var fresh = _t.Reopen();
            Throws(EngramErrorIds.UnsupportedFormatVersion, () => fresh.GetProvenance("shared", "k").ToList());
            Throws(EngramErrorIds.UnsupportedFormatVersion, () => fresh.GetProvenance("shared", "k", last: 1).ToList());
            Throws(EngramErrorIds.UnsupportedFormatVersion, () => fresh.GetHead("shared"));
            Throws(EngramErrorIds.UnsupportedFormatVersion, () => fresh.Set(new SetRequest("shared", "k", "v3") { Actor = "t" }));
            Throws(EngramErrorIds.UnsupportedFormatVersion, () => fresh.Remove("shared", "k", "t"));
            fresh.SetRetention("shared", new RetentionPolicy(null, 1));
            before = Snapshot(_t.Root);
            Assert.ThrowsAny<EngramException>(() => fresh.Optimize(actor: "t"));
            var report = fresh.Verify();
            Assert.Contains(report.Findings, f => f.Kind == "UnsupportedFormat" && f.Key == "k");
            AssertUnchanged(before, Snapshot(_t.Root));
            Assert.Equal("v2", fresh.Get("shared", "k").Value); // the memory itself still reads
        }

        [Fact]
        public void Provenance_entry_of_a_newer_schema_inside_the_history_is_refused_when_read()
        {
            Put("k", "v1");
            Put("k", "v2");
            var path = S.ProvenancePath("shared", "k");
            var text = File.ReadAllText(path);
            File.WriteAllText(path, text.Substring(0, 14).Replace("schema: 1", "schema: 3") + text.Substring(14));
            Assert.StartsWith("---\nschema: 3\n", File.ReadAllText(path));
            var before = Snapshot(_t.Root);
            Throws(EngramErrorIds.UnsupportedFormatVersion, () => S.GetProvenance("shared", "k").ToList());
            Throws(EngramErrorIds.UnsupportedFormatVersion, () => S.GetAsOf("shared", DateTime.UtcNow));
            Assert.Equal(1, SingleFinding(S.VerifyProvenance("shared"), "UnsupportedFormat").Seq);
            Assert.Contains(S.Verify().Findings, f => f.Kind == "UnsupportedFormat" && f.Key == "k");
            AssertUnchanged(before, Snapshot(_t.Root));
        }

        [Fact]
        public void Store_of_a_newer_format_is_refused_and_engram_yaml_is_never_rewritten()
        {
            Put("k", "v1");
            var config = _t.P("engram.yaml");
            File.WriteAllText(config, File.ReadAllText(config).Replace("\nformat: 2\n", "\nformat: 3\n"));
            File.Delete(_t.P("_lock"));
            var before = Snapshot(_t.Root);

            var s = _t.Reopen();
            Throws(EngramErrorIds.UnsupportedFormatVersion, () => s.Config);
            Throws(EngramErrorIds.UnsupportedFormatVersion, () => s.Get("shared", "k"));
            Throws(EngramErrorIds.UnsupportedFormatVersion, () => s.Set(new SetRequest("shared", "k", "v2") { Actor = "t" }));
            Throws(EngramErrorIds.UnsupportedFormatVersion, () => s.Upgrade());
            Throws(EngramErrorIds.UnsupportedFormatVersion, () => s.Upgrade(dryRun: true));
            Throws(EngramErrorIds.UnsupportedFormatVersion, () => s.SetRetention("shared", new RetentionPolicy(null, 1)));
            Throws(EngramErrorIds.UnsupportedFormatVersion, () => s.Optimize());
            Throws(EngramErrorIds.UnsupportedFormatVersion, () => s.Optimize(dryRun: true));
            Throws(EngramErrorIds.UnsupportedFormatVersion, () => s.Verify());
            Throws(EngramErrorIds.UnsupportedFormatVersion, () => s.GetHead("shared"));
            Throws(EngramErrorIds.UnsupportedFormatVersion, () => s.GetAsOf("shared", DateTime.UtcNow));
            Throws(EngramErrorIds.UnsupportedFormatVersion, () => s.Initialize(new StoreConfig(), force: true));
            AssertUnchanged(before, Snapshot(_t.Root));
        }

        // ================================================================== retention

        [Fact]
        public void MaxEntries_squashes_old_entries_into_one_verifiable_entry_and_frees_their_values()
        {
            for (int i = 1; i <= 10; i++) Put("k", "v" + i, actor: i % 3 == 0 ? "carol" : "alice");
            Put("other", "only one");
            var old = History("k");
            Assert.Equal(10, old.Count);
            S.SetRetention("shared", new RetentionPolicy(null, 3));
            var lengthBefore = new FileInfo(S.ProvenancePath("shared", "k")).Length;

            var report = Assert.Single(S.Optimize(actor: "janitor"));
            Assert.Equal("shared", report.Namespace);
            Assert.True(report.Applied);
            Assert.Equal(2, report.HistoriesChecked);
            Assert.Equal(1, report.HistoriesSquashed);
            Assert.Equal(7, report.EntriesRemoved);
            Assert.True(report.BytesFreed > 0);
            Assert.Equal(lengthBefore - new FileInfo(S.ProvenancePath("shared", "k")).Length, report.BytesFreed);

            var h = History("k");
            Assert.Equal(4, h.Count);
            var sq = h[0];
            Assert.Equal(ProvenanceActions.Squashed, sq.Action);
            Assert.Equal(2, sq.Schema);
            Assert.Equal(7, sq.Seq);
            Assert.Equal(7, sq.Version);
            Assert.Equal("janitor", sq.Actor);
            Assert.Equal("main", sq.Branch);
            Assert.Equal(old[0].MemoryId, sq.MemoryId);
            Assert.Equal("retention {maxEntries: 3}", sq.Reason);
            Assert.False(sq.HasValue);
            Assert.Null(sq.PrevHash);
            Assert.Null(sq.ContentHash);
            Assert.True(sq.VerifyHash());
            var d = sq.Details!;
            foreach (var name in new[] { "count", "firstSeq", "lastSeq", "from", "to", "lastHash", "actions", "actors" })
                Assert.True(d.ContainsKey(name), $"squashed entry lacks '{name}'");
            Assert.Equal(7L, d["count"]);
            Assert.Equal(1L, d["firstSeq"]);
            Assert.Equal(7L, d["lastSeq"]);
            Assert.Equal(old[6].Hash, d["lastHash"]);
            Assert.Equal(old[0].TimestampUtc.ToString("o", CultureInfo.InvariantCulture), d["from"]);
            Assert.Equal(old[6].TimestampUtc.ToString("o", CultureInfo.InvariantCulture), d["to"]);
            var actions = Assert.IsType<EngramMap>(d["actions"]);
            Assert.Equal(1L, actions["created"]);
            Assert.Equal(6L, actions["revised"]);
            var actors = Assert.IsType<EngramMap>(d["actors"]);
            Assert.Equal(5L, actors["alice"]);
            Assert.Equal(2L, actors["carol"]);
            // The kept entries are the old ones, untouched; the first links to the squashed entry 7.
            for (int i = 1; i < 4; i++)
            {
                Assert.Equal(old[6 + i].Seq, h[i].Seq);
                Assert.Equal(old[6 + i].Hash, h[i].Hash);
                Assert.Equal(old[6 + i].Value, h[i].Value);
            }
            Assert.Equal(old[6].Hash, h[1].PrevHash);
            AssertHealthy(S.Verify());
            AssertHealthy(S.VerifyProvenance("shared"));

            // The values of squashed versions are gone, from the API and from the file.
            for (int v = 1; v <= 7; v++) Throws(EngramErrorIds.VersionNotFound, () => S.GetVersion("shared", "k", v));
            Assert.Equal("v8", S.GetVersion("shared", "k", 8).Value);
            var text = File.ReadAllText(S.ProvenancePath("shared", "k"));
            for (int v = 1; v <= 7; v++) Assert.DoesNotContain("value: v" + v + "\n", text);
            Assert.Contains("value: v8\n", text);
            Assert.Equal("v10", S.Get("shared", "k").Value);
            Assert.Equal(new[] { "created" }, History("other").Select(e => e.Action)); // a single entry is never squashed

            // Nothing new: a second run changes nothing.
            var snap = Snapshot(_t.Root);
            var again = Assert.Single(S.Optimize(actor: "janitor"));
            Assert.Equal(0, again.HistoriesSquashed);
            Assert.Equal(0, again.EntriesRemoved);
            Assert.Equal(0, again.BytesFreed);
            AssertUnchanged(snap, Snapshot(_t.Root));

            // New revisions, optimized again: the squashed entry accumulates.
            Put("k", "v11", actor: "bob");
            Put("k", "v12", actor: "bob");
            var mid = History("k");
            Assert.Equal(new long[] { 7, 8, 9, 10, 11, 12 }, mid.Select(e => e.Seq));
            var second = Assert.Single(S.Optimize(actor: "janitor2"));
            Assert.Equal(2, second.EntriesRemoved);
            var h2 = History("k");
            Assert.Equal(new long[] { 9, 10, 11, 12 }, h2.Select(e => e.Seq));
            var d2 = h2[0].Details!;
            Assert.Equal("janitor2", h2[0].Actor);
            Assert.Equal(9L, d2["count"]);
            Assert.Equal(1L, d2["firstSeq"]);
            Assert.Equal(9L, d2["lastSeq"]);
            Assert.Equal(mid[2].Hash, d2["lastHash"]);
            Assert.Equal(d["from"], d2["from"]);
            Assert.Equal(mid[2].TimestampUtc.ToString("o", CultureInfo.InvariantCulture), d2["to"]);
            Assert.Equal(8L, Assert.IsType<EngramMap>(d2["actions"])["revised"]);
            Assert.Equal(1L, Assert.IsType<EngramMap>(d2["actions"])["created"]);
            Assert.Equal(new[] { "alice", "carol" }, Assert.IsType<EngramMap>(d2["actors"]).Keys); // bob's entries are kept
            Assert.Equal(3L, Assert.IsType<EngramMap>(d2["actors"])["carol"]);
            AssertHealthy(S.Verify());

            // Writes continue the chain after a squash.
            Put("k", "v13");
            Assert.Equal(13, History("k").Last().Seq);
            AssertHealthy(S.Verify());
        }

        [Fact]
        public void MaxAge_squashes_entries_older_than_the_injected_now_and_always_keeps_the_newest()
        {
            Put("k", "v1");
            Put("k", "v2");
            Put("k", "v3");
            var cut = Mark();
            Put("k", "v4");
            Put("k", "v5");
            S.SetRetention("shared", new RetentionPolicy(TimeSpan.FromHours(1), null));
            Assert.Contains("shared: {maxAge: 1h}", File.ReadAllText(_t.P("engram.yaml")));

            // Now: everything is younger than an hour.
            Assert.Equal(0, Assert.Single(S.Optimize()).HistoriesSquashed);

            var now = cut.AddHours(1);
            var r = Assert.Single(S.Optimize(nowUtc: now, actor: "janitor"));
            Assert.Equal(3, r.EntriesRemoved);
            var h = History("k");
            Assert.Equal(new long[] { 3, 4, 5 }, h.Select(e => e.Seq));
            Assert.Equal(now, h[0].TimestampUtc);
            Assert.Equal(3L, h[0].Details!["count"]);
            AssertHealthy(S.Verify());

            // Far in the future everything is old, but the newest entry stays.
            var snap = Snapshot(_t.Root);
            var dry = Assert.Single(S.Optimize(nowUtc: now.AddDays(30), dryRun: true));
            Assert.False(dry.Applied);
            Assert.Equal(1, dry.EntriesRemoved);
            AssertUnchanged(snap, Snapshot(_t.Root));
            S.Optimize(nowUtc: now.AddDays(30));
            h = History("k");
            Assert.Equal(new long[] { 4, 5 }, h.Select(e => e.Seq));
            Assert.Equal(4L, h[0].Details!["count"]);
            Assert.Equal("v5", h[1].Value);
            AssertHealthy(S.Verify());
        }

        [Fact]
        public void Namespace_retention_overrides_the_store_default_and_forever_squashes_nothing()
        {
            for (int i = 1; i <= 4; i++) { Put("k", "v" + i); Put("k", "w" + i, ns: "longterm"); }
            S.SetRetention(null, new RetentionPolicy(null, 1));
            S.SetRetention("longterm", RetentionPolicy.Forever);
            var config = new EngramStore(_t.Root).Config;
            Assert.Equal("{maxEntries: 1}", config.DefaultRetention.ToYaml());
            Assert.True(config.RetentionFor("longterm").IsForever);
            Assert.Equal("{maxEntries: 1}", config.RetentionFor("shared").ToYaml());

            var reports = S.Optimize();
            Assert.Equal(new[] { "longterm", "shared" }, reports.Select(r => r.Namespace));
            Assert.Equal(0, reports[0].HistoriesSquashed);
            Assert.Equal(1, reports[1].HistoriesSquashed);
            Assert.Equal(new long[] { 3, 4 }, History("k").Select(e => e.Seq));
            Assert.Equal(4, History("k", "longterm").Count);

            // A namespace filter limits the run.
            S.SetRetention("longterm", new RetentionPolicy(null, 2));
            Assert.Empty(S.Optimize(ns => ns == "nothing"));
            Assert.Equal(4, History("k", "longterm").Count);
        }

    }

    internal static class SnapshotExtensions
    {
        /// <summary>Adds <paramref name="from"/>'s engram.yaml (to compare everything else).</summary>
        public static SortedDictionary<string, byte[]?> WithEngramYaml(this SortedDictionary<string, byte[]?> d, SortedDictionary<string, byte[]?> from)
        {
            d["engram.yaml"] = from["engram.yaml"];
            return d;
        }

        public static SortedDictionary<string, byte[]?> ToSortedDictionary(this IEnumerable<KeyValuePair<string, byte[]?>> items)
        {
            var d = new SortedDictionary<string, byte[]?>(StringComparer.Ordinal);
            foreach (var kv in items) d[kv.Key] = kv.Value;
            return d;
        }
    }
}
