using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json;
using Engram.Core.History;
using Engram.Core.Provenance;
using Engram.Core.Values;
using Xunit;

namespace Engram.Core.Tests
{
    /// <summary>Exports of a history (W3C PROV-JSON, Mermaid, JSON, Tree) and the structured diff.</summary>
    public sealed class ExportTests : IDisposable
    {
        private readonly TempStore _t = new TempStore();

        public void Dispose() => _t.Dispose();

        private EngramStore S => _t.Store;

        private void Put(string key, object? value, string actor, string? branch = null, string? reason = null) =>
            S.Set(new SetRequest("shared", key, value) { Actor = actor, Branch = branch, Reason = reason });

        /// <summary>created v1, revised v2, fork alt, alt v3, merge into main v3, deleted.</summary>
        private List<ProvenanceEntry> History()
        {
            Put("cfg", "one", "alice", reason: "first");
            Put("cfg", "two", "bob");
            S.Fork("shared", "alt", null, "carol");
            Put("cfg", "three", "carol", branch: "alt");
            S.Merge("shared", "alt", MergeStrategy.Fail, "dave", "adopt");
            S.Remove("shared", "cfg", "erin", "obsolete");
            return S.GetProvenance("shared", "cfg", branch: "*").ToList();
        }

        private static JsonElement Obj(JsonElement doc, string section) =>
            doc.TryGetProperty(section, out var s) ? s : throw new Xunit.Sdk.XunitException($"PROV-JSON has no '{section}' section");

        private static IEnumerable<JsonElement> Relations(JsonElement doc, string section) =>
            doc.TryGetProperty(section, out var s) ? s.EnumerateObject().Select(p => p.Value) : Enumerable.Empty<JsonElement>();

        private static string Str(JsonElement e, string name) => e.GetProperty(name).ValueKind == JsonValueKind.Object
            ? e.GetProperty(name).GetProperty("$").GetString()! : e.GetProperty(name).GetString()!;

        [Fact]
        public void ProvJson_HasEntitiesPerVersion_ActivitiesPerChange_AgentsRevisionsInvalidationAndMergeParents()
        {
            var history = History();
            var doc = JsonDocument.Parse(ProvenanceExporter.Export(history, ExportFormat.ProvJson)).RootElement;
            var id = history[0].MemoryId;
            var memory = "engram:memory-" + id;

            Assert.Equal("urn:engram:", doc.GetProperty("prefix").GetProperty("engram").GetString());
            var entities = Obj(doc, "entity");
            Assert.Equal("engram:Memory", Str(entities.GetProperty(memory), "prov:type"));
            string V(string branch, int v) => $"engram:memory-{id}-{branch}-v{v}";
            foreach (var version in new[] { V("main", 1), V("main", 2), V("alt", 3), V("main", 3) })
            {
                Assert.True(entities.TryGetProperty(version, out var ent), "missing entity " + version);
                Assert.Equal("engram:MemoryVersion", Str(ent, "prov:type"));
                Assert.StartsWith("sha256:", ent.GetProperty("engram:contentHash").GetString());
                Assert.Contains(Relations(doc, "specializationOf"), r => r.GetProperty("prov:specificEntity").GetString() == version && r.GetProperty("prov:generalEntity").GetString() == memory);
                Assert.Contains(Relations(doc, "wasGeneratedBy"), r => r.GetProperty("prov:entity").GetString() == version);
            }
            Assert.Equal("one", entities.GetProperty(V("main", 1)).GetProperty("prov:value").GetString());

            // One activity per change, each associated with its actor's agent.
            var activities = Obj(doc, "activity").EnumerateObject().ToList();
            Assert.Equal(history.Count, activities.Count);
            Assert.Equal(new[] { "engram:created", "engram:revised", "engram:forked", "engram:revised", "engram:merged", "engram:deleted" },
                activities.Select(a => Str(a.Value, "prov:type")).ToArray());
            var agents = Obj(doc, "agent").EnumerateObject().Select(a => Str(a.Value, "prov:label")).OrderBy(x => x).ToArray();
            Assert.Equal(new[] { "alice", "bob", "carol", "dave", "erin" }, agents);
            foreach (var a in activities)
                Assert.Contains(Relations(doc, "wasAssociatedWith"), r => r.GetProperty("prov:activity").GetString() == a.Name);

            // Revisions: v2 from v1; the branch's v3 from main v2; the merge from both parents.
            var revisions = Relations(doc, "wasDerivedFrom").ToList();
            Assert.All(revisions, r => Assert.Equal("prov:Revision", Str(r, "prov:type")));
            bool Derived(string from, string to) => revisions.Any(r => r.GetProperty("prov:generatedEntity").GetString() == to && r.GetProperty("prov:usedEntity").GetString() == from);
            Assert.True(Derived(V("main", 1), V("main", 2)));
            Assert.True(Derived(V("main", 2), V("alt", 3)));
            Assert.True(Derived(V("main", 2), V("main", 3)));
            Assert.True(Derived(V("alt", 3), V("main", 3)));
            var mergeActivity = activities.Single(a => Str(a.Value, "prov:type") == "engram:merged").Name;
            var used = Relations(doc, "used").Where(r => r.GetProperty("prov:activity").GetString() == mergeActivity).Select(r => r.GetProperty("prov:entity").GetString()).ToList();
            Assert.Contains(V("main", 2), used);
            Assert.Contains(V("alt", 3), used);

            // The delete invalidates the version that was current.
            var invalidation = Assert.Single(Relations(doc, "wasInvalidatedBy"));
            Assert.Equal(V("main", 3), invalidation.GetProperty("prov:entity").GetString());
            Assert.Equal("engram:deleted", Str(Obj(doc, "activity").GetProperty(invalidation.GetProperty("prov:activity").GetString()!), "prov:type"));
        }

        [Fact]
        public void Json_IsAnArrayOfEveryEntry_WithValuesAndHashes()
        {
            var history = History();
            var doc = JsonDocument.Parse(ProvenanceExporter.Export(history, ExportFormat.Json)).RootElement;
            Assert.Equal(JsonValueKind.Array, doc.ValueKind);
            Assert.Equal(history.Select(e => e.Seq).ToArray(), doc.EnumerateArray().Select(e => e.GetProperty("seq").GetInt64()).ToArray());
            Assert.Equal(history.Select(e => e.Hash).ToArray(), doc.EnumerateArray().Select(e => e.GetProperty("hash").GetString()).ToArray());
            Assert.Equal("one", doc[0].GetProperty("value").GetString());
            Assert.False(doc[history.Count - 1].TryGetProperty("value", out _)); // a deletion has no value
            Assert.Equal("alt", doc[4].GetProperty("details").GetProperty("from").GetString());
        }

        [Fact]
        public void Mermaid_IsAGitGraph_WithTheBranchAndItsMerge()
        {
            var text = ProvenanceExporter.Export(History(), ExportFormat.Mermaid);
            var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Trim()).ToList();
            Assert.Equal("gitGraph", lines[0]);
            int branch = lines.IndexOf("branch alt");
            int merge = lines.FindIndex(l => l.StartsWith("merge alt", StringComparison.Ordinal));
            Assert.True(branch > 0 && merge > branch, text);
            Assert.Contains(lines, l => l.StartsWith("commit id: \"4 revised v3 carol\"", StringComparison.Ordinal));
            Assert.Contains(lines, l => l.Contains("deleted") && l.EndsWith("type: REVERSE", StringComparison.Ordinal));
        }

        [Fact]
        public void Tree_TellsTheStory_WithRelativeOrAbsoluteTimes()
        {
            var history = History();
            var tree = ProvenanceExporter.Tree(history, TimeStyle.Absolute, DateTime.UtcNow);
            Assert.StartsWith("shared/cfg\n", tree);
            Assert.Contains("├─ alice: created v1 [", tree);
            Assert.Contains("│  └─ \"first\"", tree);
            Assert.Contains("carol: forked to alt (from main v2)", tree);
            Assert.Contains("dave: merged from alt (v3) → v3", tree);
            Assert.Contains("carol: revised v3 on alt", tree);
            Assert.Contains("└─ erin: deleted v3", tree);
            var relative = ProvenanceExporter.Tree(history, TimeStyle.Relative, DateTime.UtcNow.AddHours(3));
            Assert.Contains("[3h ago]", relative);
        }

        [Fact]
        public void ValueDiff_ReportsPerPropertyChanges_WithPaths()
        {
            var before = new EngramMap { { "port", 80 }, { "hosts", new object?[] { "a", "b" } }, { "db", new EngramMap { { "host", "x" } } }, { "old", true } };
            var after = new EngramMap { { "port", 8080 }, { "hosts", new object?[] { "a", "c", "d" } }, { "db", new EngramMap { { "host", "y" } } }, { "new", 1L } };
            var changes = ValueDiff.Compare(before, after).Select(c => $"{c.Kind} {c.Path}").ToArray();
            Assert.Equal(new[] { "Modified port", "Modified hosts[1]", "Added hosts[2]", "Modified db.host", "Removed old", "Added new" }, changes);
            Assert.Empty(ValueDiff.Compare(new EngramMap { { "a", 1 } }, new EngramMap { { "a", 1 } }));
            // A type change is a change: 1 (int) and 1 (long) are different values.
            Assert.Equal("Modified ", ValueDiff.Compare(1, 1L).Select(c => $"{c.Kind} {c.Path}").Single());
        }

        [Fact]
        public void Restore_WritesTheOldValueAsANewVersion_WithARestoredEntry_AndIsANoOpWhenAlreadyThere()
        {
            Put("k", "one", "a");
            Put("k", "two", "a");
            var r = S.Restore("shared", "k", 1, "b", "roll back");
            Assert.True(r.Changed);
            Assert.Equal(3, r.Memory.Version);
            Assert.Equal("one", S.Get("shared", "k").Value);
            Assert.Equal(EngramStore.RestoredAction, r.Entry!.Action);
            Assert.Equal(1, r.Entry.Details!["restoredFrom"]);
            Assert.False(S.Restore("shared", "k", 1).Changed);
            Assert.Equal(EngramErrorIds.VersionNotFound, Assert.Throws<EngramException>(() => S.Restore("shared", "k", 9)).ErrorId);
            Assert.True(S.Verify().Healthy);
        }
    }
}
