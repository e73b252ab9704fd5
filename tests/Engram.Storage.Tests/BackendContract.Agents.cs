using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using Engram.Core;
using Engram.Core.MemoryTool;
using Engram.Core.Provenance;
using Xunit;

namespace Engram.Storage.Tests
{
    /// <summary>The contract for agents: conditional writes (expected version), stale sources and the memory-tool commands, on every backend.</summary>
    public abstract partial class BackendContract
    {
        private SetResult PutIf(string key, object? value, int? expected, string? branch = null) =>
            S.Set(new SetRequest(Ns, key, value) { ExpectedVersion = expected, Branch = branch, Actor = "agent", TrackProvenance = true });

        [BackendFact]
        public void ConditionalWrite_RefusesAnotherVersion_AndWritesNothing()
        {
            Assert.Equal(1, PutIf("plan", "v1", 0).Memory.Version);                 // 0: create only
            Assert.Equal(2, PutIf("plan", "v2", 1).Memory.Version);
            var ex = Throws(EngramErrorIds.VersionConflict, () => PutIf("plan", "stale", 1));
            Assert.Contains("version 2", ex.Message);
            Throws(EngramErrorIds.VersionConflict, () => PutIf("plan", "again", 0));  // exists
            Throws(EngramErrorIds.VersionConflict, () => PutIf("new", "x", 3));       // does not exist
            Throws(EngramErrorIds.VersionConflict, () => PutIf("plan", "x", -1));
            Assert.Equal("v2", Main("plan"));
            Assert.Equal(2, History("plan").Count);
            Assert.Null(S.TryGet(Ns, "new"));
            // unchanged value at the expected version: still no new version, and no error
            Assert.False(PutIf("plan", "v2", 2).Changed);
            // after a delete the memory does not exist: 0 re-creates it, continuing its history
            S.Remove(Ns, "plan", "agent", "gone");
            Throws(EngramErrorIds.VersionConflict, () => PutIf("plan", "back", 2));
            Assert.Equal(3, PutIf("plan", "back", 0).Memory.Version);
            AssertChain(History("plan"));
        }

        [BackendFact]
        public void ConditionalWrite_OnABranch_ChecksTheBranchsVersion()
        {
            PutIf("plan", "v1", null);
            S.Fork(Ns, "alt", null, "agent");
            Assert.Equal(2, PutIf("plan", "alt-1", 1, "alt").Memory.Version);
            Throws(EngramErrorIds.VersionConflict, () => PutIf("plan", "alt-x", 1, "alt"));
            Assert.Equal("alt-1", On("alt", "plan"));
            Assert.Equal("v1", Main("plan"));
            Assert.Equal(2, PutIf("plan", "main-2", 1).Memory.Version); // main has its own version
        }

        [BackendFact]
        public void ConditionalWrite_ConcurrentReadModifyWrite_LosesNoUpdate()
        {
            PutIf("counter", 0L, 0);
            const int Writers = 3, Increments = 15;
            var stores = Enumerable.Range(0, Writers).Select(_ => Reopen()).ToList(); // one store object each, as separate agents
            int conflicts = 0;
            Parallel.For(0, Writers, new ParallelOptions { MaxDegreeOfParallelism = Writers }, w =>
            {
                var s = stores[w];
                for (int done = 0; done < Increments;)
                {
                    var m = s.Get(Ns, "counter");
                    try
                    {
                        s.Set(new SetRequest(Ns, "counter", (long)m.Value! + 1) { ExpectedVersion = m.Version, Actor = "w" + w });
                        done++;
                    }
                    catch (EngramException ex) when (ex.ErrorId == EngramErrorIds.VersionConflict)
                    {
                        System.Threading.Interlocked.Increment(ref conflicts);
                    }
                }
            });
            var final = Reopen().Get(Ns, "counter");
            Assert.Equal((long)(Writers * Increments), final.Value);
            Assert.Equal(Writers * Increments + 1, final.Version);
            var history = Reopen().GetProvenance(Ns, "counter").ToList();
            Assert.Equal(Enumerable.Range(1, Writers * Increments + 1), history.Select(e => e.Version));
            AssertChain(history);
        }

        [BackendFact]
        public void StaleSources_ReportSourcesThatMovedOn()
        {
            Put("thinking", "obs", "day 2");
            Put("thinking", "other", "x", track: true);
            Derive("longterm", "insight", "email on day 2", new[] { "thinking/obs", "thinking/other" });
            Assert.Empty(StaleSources.Stale(S, "longterm", "insight"));
            Assert.Equal(new[] { 1, 1 }, StaleSources.Sources(S, "longterm", "insight").Select(s => s.PinnedVersion));

            Put("thinking", "obs", "day 3");
            var stale = Assert.Single(StaleSources.Stale(S, "longterm", "insight"));
            Assert.Equal(("thinking", "obs", 1, (int?)2), (stale.Namespace, stale.Key, stale.PinnedVersion, stale.CurrentVersion));
            var marks = StaleSources.Mark(S, S.GetLineage("longterm", "insight", 1, LineageDirection.Up));
            Assert.Equal((true, (int?)2), marks.Where(m => m.Link.SourceKey == "obs").Select(m => (m.Stale, m.SourceCurrentVersion)).Single());
            Assert.False(marks.Single(m => m.Link.SourceKey == "other").Stale);

            S.Remove("thinking", "other");
            Assert.Contains(StaleSources.Stale(S, "longterm", "insight"), s => s.Key == "other" && s.Removed);

            // re-derived from the current versions: fresh again; a plain rewrite has no sources at all
            Derive("longterm", "insight", "email on day 3", new[] { "thinking/obs" });
            Assert.Empty(StaleSources.Stale(S, "longterm", "insight"));
            Put("longterm", "insight", "rewritten");
            Assert.Empty(StaleSources.Sources(S, "longterm", "insight"));
            Assert.Empty(StaleSources.Sources(S, "thinking", "obs")); // not derived
        }

        [BackendFact]
        public void MemoryTool_Commands_WriteTrackedVersionsWithTheActor()
        {
            MemoryCommandResult Run(string command, string? path = null, string? text = null, string? oldStr = null, string? newStr = null,
                int? line = null, string? oldPath = null, string? newPath = null) =>
                MemoryCommandRunner.Run(S, new MemoryCommand
                {
                    Command = command, Path = path, FileText = text, OldStr = oldStr, NewStr = newStr, InsertLine = line,
                    InsertText = line == null ? null : "inserted", OldPath = oldPath, NewPath = newPath,
                }, "claude");

            Run("create", "/memories/projects/notes.md", "alpha\nbeta");
            Run("str_replace", "/memories/projects/notes.md", oldStr: "beta", newStr: "gamma");
            Run("insert", "/memories/projects/notes.md", line: 1);
            Assert.Equal("alpha\ninserted\ngamma", Main("notes.md", "projects"));
            Run("rename", oldPath: "/memories/projects/notes.md", newPath: "/memories/longterm/notes.md");
            Assert.Null(S.TryGet("projects", "notes.md"));
            Assert.Equal("alpha\ninserted\ngamma", Main("notes.md", "longterm"));
            var old = S.GetProvenance("projects", "notes.md").ToList();
            Assert.Equal(new[] { "created", "revised", "revised", "deleted" }, old.Select(e => e.Action));
            Assert.All(old, e => Assert.Equal("claude", e.Actor));
            var moved = Assert.Single(S.GetLineage("longterm", "notes.md", 1, LineageDirection.Up));
            Assert.Equal(("projects", "notes.md", 3), (moved.SourceNamespace, moved.SourceKey, moved.SourceVersion));
            Assert.Contains("/memories/longterm/notes.md", Run("view", "/memories").Text);
            Run("delete", "/memories/longterm/notes.md");
            Assert.Null(S.TryGet("longterm", "notes.md"));
            Assert.Equal(ProvenanceActions.Deleted, S.GetProvenance("longterm", "notes.md").Last().Action);
        }
    }
}
