using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using Engram.Core.Provenance;
using Engram.Core.Values;

namespace Engram.Core.History
{
    public enum ExportFormat { Tree, Mermaid, ProvJson, Json }

    public enum TimeStyle { Absolute, Relative }

    /// <summary>Renders a memory's history (every branch, oldest first) as text, a diagram or PROV-JSON.</summary>
    public static class ProvenanceExporter
    {
        public static string Export(IReadOnlyList<ProvenanceEntry> entries, ExportFormat format, TimeStyle time = TimeStyle.Absolute, DateTime? nowUtc = null)
        {
            switch (format)
            {
                case ExportFormat.Tree: return Tree(entries, time, nowUtc ?? DateTime.UtcNow);
                case ExportFormat.Mermaid: return Mermaid(entries);
                case ExportFormat.ProvJson: return Json.Serialize(ProvJson(entries));
                default: return Json.Serialize(entries.Select(ToMap).ToArray());
            }
        }

        // ------------------------------------------------------------------ tree

        /// <summary>
        /// The story of a memory: main-line changes at the top level; work on a branch nested under the fork that
        /// started it; reasons and details as sub-lines.
        /// </summary>
        public static string Tree(IReadOnlyList<ProvenanceEntry> entries, TimeStyle time, DateTime nowUtc)
        {
            var sb = new StringBuilder();
            if (entries.Count == 0) return sb.ToString();
            sb.Append(entries[0].Namespace).Append('/').Append(entries[0].Key).Append('\n');

            // Main-line entries are the roots. Work done on a branch hangs under the merge that brought it into main
            // (shown compactly, "actor: reason"); work not merged (yet) hangs under the fork that started the branch.
            var roots = new List<Node>();
            var forkNodes = new Dictionary<string, Node>(StringComparer.Ordinal);
            var pending = new Dictionary<string, List<ProvenanceEntry>>(StringComparer.Ordinal);
            foreach (var e in entries)
            {
                if (e.Branch != Names.DefaultBranch)
                {
                    if (e.Action == ProvenanceActions.Forked && !forkNodes.ContainsKey(e.Branch))
                    {
                        var fork = new Node(e);
                        forkNodes[e.Branch] = fork;
                        roots.Add(fork);
                    }
                    else
                    {
                        if (!pending.TryGetValue(e.Branch, out var list)) pending[e.Branch] = list = new List<ProvenanceEntry>();
                        list.Add(e);
                    }
                    continue;
                }
                var node = new Node(e);
                roots.Add(node);
                if (e.Action == ProvenanceActions.Merged && Detail(e, "from") is string from && pending.TryGetValue(from, out var merged))
                {
                    foreach (var m in merged) node.Children.Add(new Node(m) { Compact = true });
                    pending.Remove(from);
                }
            }
            foreach (var kv in pending)
            {
                if (!forkNodes.TryGetValue(kv.Key, out var fork))
                {
                    fork = new Node(kv.Value[0]);
                    roots.Add(fork);
                    kv.Value.RemoveAt(0);
                }
                foreach (var e in kv.Value) fork.Children.Add(new Node(e));
            }
            for (int i = 0; i < roots.Count; i++) Render(sb, roots[i], "", i == roots.Count - 1, time, nowUtc);
            return sb.ToString();
        }

        private sealed class Node
        {
            public Node(ProvenanceEntry e) { Entry = e; }
            public ProvenanceEntry Entry { get; }
            /// <summary>Branch work under its merge: "actor: reason" (or the action) on one line.</summary>
            public bool Compact { get; set; }
            public List<Node> Children { get; } = new List<Node>();
        }

        private static void Render(StringBuilder sb, Node node, string indent, bool last, TimeStyle time, DateTime now)
        {
            var e = node.Entry;
            if (node.Compact)
            {
                sb.Append(indent).Append(last ? "└─ " : "├─ ").Append(e.Actor).Append(": ")
                  .Append(e.Reason != null ? "\"" + e.Reason + "\"" : e.Action + " v" + e.Version + " on " + e.Branch).Append('\n');
                // Its confidence and sources still show, as sub-lines (the reason is on the line itself).
                var compactIndent = indent + (last ? "   " : "│  ");
                var details = SubLines(e).Skip(e.Reason != null ? 1 : 0).ToList();
                for (int i = 0; i < details.Count; i++)
                    sb.Append(compactIndent).Append(i == details.Count - 1 ? "└─ " : "├─ ").Append(details[i]).Append('\n');
                return;
            }
            sb.Append(indent).Append(last ? "└─ " : "├─ ").Append(Headline(e, time, now)).Append('\n');
            var childIndent = indent + (last ? "   " : "│  ");
            var subLines = SubLines(e).ToList();
            int total = subLines.Count + node.Children.Count;
            int k = 0;
            foreach (var line in subLines)
            {
                k++;
                sb.Append(childIndent).Append(k == total ? "└─ " : "├─ ").Append(line).Append('\n');
            }
            foreach (var child in node.Children)
            {
                k++;
                Render(sb, child, childIndent, k == total, time, now);
            }
        }

        private static string Headline(ProvenanceEntry e, TimeStyle time, DateTime now)
        {
            var sb = new StringBuilder();
            sb.Append(e.Actor).Append(": ");
            string? from = Detail(e, "from") as string;
            switch (e.Action)
            {
                case ProvenanceActions.Forked:
                    sb.Append("forked to ").Append(e.Branch).Append(" (from ").Append(from ?? Names.DefaultBranch).Append(" v").Append(e.Version).Append(')');
                    break;
                case ProvenanceActions.Merged:
                    sb.Append("merged from ").Append(from ?? "?");
                    if (Detail(e, "theirsVersion") is int tv) sb.Append(" (v").Append(tv).Append(')');
                    sb.Append(" → v").Append(e.Version);
                    break;
                case "connected":
                    var with = Detail(e, "with") as EngramMap;
                    sb.Append("connected ").Append(Detail(e, "direction") as string == "from" ? "from " : "to ")
                      .Append(with?["namespace"]).Append('/').Append(with?["key"]).Append(" (v").Append(with?["version"]).Append(')');
                    break;
                case ProvenanceActions.Squashed:
                    sb.Append("squashed ").Append(Detail(e, "count")).Append(" older entries (").Append(Detail(e, "firstSeq")).Append('–').Append(Detail(e, "lastSeq")).Append(')');
                    break;
                default:
                    sb.Append(e.Action).Append(" v").Append(e.Version);
                    if (e.Branch != Names.DefaultBranch) sb.Append(" on ").Append(e.Branch);
                    if (e.Action == ProvenanceActions.Deleted && from != null) sb.Append(" (merged from ").Append(from).Append(')');
                    break;
            }
            sb.Append(" [").Append(FormatTime(e.TimestampUtc, time, now)).Append(']');
            return sb.ToString();
        }

        private static IEnumerable<string> SubLines(ProvenanceEntry e)
        {
            if (e.Reason != null) yield return "\"" + e.Reason + "\"";
            if (Detail(e, "confidence") is object c) yield return "confidence " + Convert.ToString(c, CultureInfo.InvariantCulture);
            if (Detail(e, "derivedFrom") is object?[] sources)
                foreach (var s in sources)
                    if (s is EngramMap m)
                        yield return "from " + m["namespace"] + "/" + m["key"] + (m.TryGetValue("version", out var v) && v != null ? " (v" + v + ")" : "");
            if (Detail(e, "restoredFrom") is int rv) yield return "restored from v" + rv;
        }

        internal static object? Detail(ProvenanceEntry e, string name) =>
            e.Details != null && e.Details.TryGetValue(name, out var v) ? v : null;

        public static string FormatTime(DateTime utc, TimeStyle style, DateTime now)
        {
            if (style == TimeStyle.Absolute) return utc.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) + "Z";
            var d = now - utc;
            if (d.TotalSeconds < 60) return "just now";
            if (d.TotalMinutes < 60) return ((int)d.TotalMinutes).ToString(CultureInfo.InvariantCulture) + "m ago";
            if (d.TotalHours < 48) return ((int)d.TotalHours).ToString(CultureInfo.InvariantCulture) + "h ago";
            return ((int)d.TotalDays).ToString(CultureInfo.InvariantCulture) + "d ago";
        }

        // ------------------------------------------------------------------ mermaid

        /// <summary>A Mermaid <c>gitGraph</c>: main-line changes as commits, forks as branches, merges as merges.</summary>
        public static string Mermaid(IReadOnlyList<ProvenanceEntry> entries)
        {
            var sb = new StringBuilder("gitGraph\n");
            var declared = new HashSet<string>(StringComparer.Ordinal) { Names.DefaultBranch };
            var commits = new Dictionary<string, int>(StringComparer.Ordinal);
            string current = Names.DefaultBranch;
            bool any = false;
            void Checkout(string b)
            {
                if (current == b) return;
                sb.Append("  checkout ").Append(b).Append('\n');
                current = b;
            }
            foreach (var e in entries)
            {
                var label = Label(e);
                if (e.Branch != Names.DefaultBranch && !declared.Contains(e.Branch))
                {
                    if (!any) { sb.Append("  commit id: \"start\"\n"); any = true; }
                    Checkout(Names.DefaultBranch);
                    sb.Append("  branch ").Append(MermaidName(e.Branch)).Append('\n');
                    current = e.Branch;
                    declared.Add(e.Branch);
                    commits[e.Branch] = 0;
                    if (e.Action == ProvenanceActions.Forked) continue;
                }
                if (e.Action == ProvenanceActions.Merged && Detail(e, "from") is string from && declared.Contains(from) && commits.TryGetValue(from, out var n) && n > 0)
                {
                    Checkout(e.Branch);
                    sb.Append("  merge ").Append(MermaidName(from)).Append(" id: \"").Append(label).Append("\"\n");
                    commits[from] = 0;
                    any = true;
                    continue;
                }
                Checkout(e.Branch);
                sb.Append("  commit id: \"").Append(label).Append('"');
                if (e.Action == ProvenanceActions.Deleted) sb.Append(" type: REVERSE");
                else if (e.Action == ProvenanceActions.Merged) sb.Append(" type: HIGHLIGHT");
                sb.Append('\n');
                if (e.Branch != Names.DefaultBranch) commits[e.Branch] = commits.TryGetValue(e.Branch, out var c) ? c + 1 : 1;
                any = true;
            }
            return sb.ToString();
        }

        private static string MermaidName(string branch) => branch.Replace(".", "_");

        private static string Label(ProvenanceEntry e) =>
            (e.Seq.ToString(CultureInfo.InvariantCulture) + " " + e.Action + " v" + e.Version + " " + e.Actor).Replace("\"", "'");

        // ------------------------------------------------------------------ W3C PROV-JSON

        /// <summary>
        /// W3C PROV-JSON: an entity per version (specializationOf the memory entity), an activity per change
        /// (wasAssociatedWith its actor agent, generating the version), wasDerivedFrom typed prov:Revision between
        /// consecutive versions, deletions as wasInvalidatedBy, merges and forks using their parent versions.
        /// </summary>
        public static EngramMap ProvJson(IReadOnlyList<ProvenanceEntry> entries)
        {
            var entity = new EngramMap(MapKind.Ordered);
            var activity = new EngramMap(MapKind.Ordered);
            var agent = new EngramMap(MapKind.Ordered);
            var wasGeneratedBy = new EngramMap(MapKind.Ordered);
            var wasAssociatedWith = new EngramMap(MapKind.Ordered);
            var wasDerivedFrom = new EngramMap(MapKind.Ordered);
            var specializationOf = new EngramMap(MapKind.Ordered);
            var wasInvalidatedBy = new EngramMap(MapKind.Ordered);
            var used = new EngramMap(MapKind.Ordered);
            int rel = 0;
            string Rel(string kind) => "_:" + kind + (++rel).ToString(CultureInfo.InvariantCulture);

            var latest = new Dictionary<string, string>(StringComparer.Ordinal); // branch -> current version entity id
            if (entries.Count > 0)
            {
                var first = entries[0];
                entity.Add(MemoryId(first), new EngramMap(MapKind.Ordered)
                {
                    { "prov:type", QName("engram:Memory") },
                    { "prov:label", first.Namespace + "/" + first.Key },
                    { "engram:namespace", first.Namespace },
                    { "engram:key", first.Key },
                    { "engram:memoryId", first.MemoryId },
                });
            }

            foreach (var e in entries)
            {
                var act = "engram:change-" + e.Seq.ToString(CultureInfo.InvariantCulture);
                var time = Typed(e.TimestampUtc.ToString("o", CultureInfo.InvariantCulture), "xsd:dateTime");
                var actMap = new EngramMap(MapKind.Ordered)
                {
                    { "prov:type", QName("engram:" + e.Action) },
                    { "prov:startTime", time },
                    { "prov:endTime", time },
                    { "engram:seq", e.Seq },
                    { "engram:branch", e.Branch },
                    { "engram:hash", e.Hash },
                };
                if (e.Reason != null) actMap.Add("engram:reason", e.Reason);
                activity.Add(act, actMap);

                var agentId = "engram:agent-" + Sanitize(e.Actor);
                if (!agent.ContainsKey(agentId))
                    agent.Add(agentId, new EngramMap(MapKind.Ordered) { { "prov:type", QName("prov:Agent") }, { "prov:label", e.Actor } });
                wasAssociatedWith.Add(Rel("assoc"), new EngramMap(MapKind.Ordered) { { "prov:activity", act }, { "prov:agent", agentId } });

                latest.TryGetValue(e.Branch, out var previous);
                if (previous == null && e.Branch != Names.DefaultBranch) latest.TryGetValue(Names.DefaultBranch, out previous);

                if (e.Action == ProvenanceActions.Deleted)
                {
                    if (previous != null)
                        wasInvalidatedBy.Add(Rel("inv"), new EngramMap(MapKind.Ordered) { { "prov:entity", previous }, { "prov:activity", act }, { "prov:time", time } });
                    latest.Remove(e.Branch);
                    continue;
                }
                if (e.Action == ProvenanceActions.Forked)
                {
                    // The branch starts from the main-line version it was forked from.
                    if (previous != null)
                    {
                        used.Add(Rel("used"), new EngramMap(MapKind.Ordered) { { "prov:activity", act }, { "prov:entity", previous }, { "prov:time", time } });
                        latest[e.Branch] = previous;
                    }
                    continue;
                }

                var version = VersionId(e);
                var entMap = new EngramMap(MapKind.Ordered)
                {
                    { "prov:type", QName("engram:MemoryVersion") },
                    { "prov:label", e.Namespace + "/" + e.Key + (e.Branch == Names.DefaultBranch ? "" : "@" + e.Branch) + " v" + e.Version },
                    { "engram:version", e.Version },
                    { "engram:branch", e.Branch },
                    { "engram:contentHash", e.ContentHash },
                };
                if (e.HasValue) entMap.Add("prov:value", LiteralValue(e.Value));
                if (!entity.ContainsKey(version)) entity.Add(version, entMap);
                specializationOf.Add(Rel("spec"), new EngramMap(MapKind.Ordered) { { "prov:specificEntity", version }, { "prov:generalEntity", MemoryId(e) } });
                wasGeneratedBy.Add(Rel("gen"), new EngramMap(MapKind.Ordered) { { "prov:entity", version }, { "prov:activity", act }, { "prov:time", time } });
                if (previous != null)
                {
                    wasDerivedFrom.Add(Rel("der"), new EngramMap(MapKind.Ordered)
                    {
                        { "prov:generatedEntity", version }, { "prov:usedEntity", previous }, { "prov:activity", act }, { "prov:type", QName("prov:Revision") },
                    });
                    used.Add(Rel("used"), new EngramMap(MapKind.Ordered) { { "prov:activity", act }, { "prov:entity", previous }, { "prov:time", time } });
                }
                if (e.Action == ProvenanceActions.Merged && Detail(e, "from") is string from && latest.TryGetValue(from, out var theirs) && theirs != previous)
                {
                    wasDerivedFrom.Add(Rel("der"), new EngramMap(MapKind.Ordered)
                    {
                        { "prov:generatedEntity", version }, { "prov:usedEntity", theirs }, { "prov:activity", act }, { "prov:type", QName("prov:Revision") },
                    });
                    used.Add(Rel("used"), new EngramMap(MapKind.Ordered) { { "prov:activity", act }, { "prov:entity", theirs }, { "prov:time", time } });
                }
                latest[e.Branch] = version;
            }

            var doc = new EngramMap(MapKind.Ordered)
            {
                { "prefix", new EngramMap(MapKind.Ordered) { { "engram", "urn:engram:" }, { "xsd", "http://www.w3.org/2001/XMLSchema#" } } },
            };
            void AddIfAny(string name, EngramMap m) { if (m.Count > 0) doc.Add(name, m); }
            AddIfAny("entity", entity);
            AddIfAny("activity", activity);
            AddIfAny("agent", agent);
            AddIfAny("wasGeneratedBy", wasGeneratedBy);
            AddIfAny("used", used);
            AddIfAny("wasAssociatedWith", wasAssociatedWith);
            AddIfAny("wasDerivedFrom", wasDerivedFrom);
            AddIfAny("specializationOf", specializationOf);
            AddIfAny("wasInvalidatedBy", wasInvalidatedBy);
            return doc;
        }

        private static string MemoryId(ProvenanceEntry e) => "engram:memory-" + e.MemoryId;

        private static string VersionId(ProvenanceEntry e) =>
            "engram:memory-" + e.MemoryId + "-" + Sanitize(e.Branch) + "-v" + e.Version.ToString(CultureInfo.InvariantCulture);

        private static string Sanitize(string s)
        {
            var sb = new StringBuilder();
            foreach (var c in s) sb.Append(char.IsLetterOrDigit(c) || c == '-' || c == '_' || c == '.' ? c : '_');
            return sb.Length == 0 ? "_" : sb.ToString();
        }

        private static EngramMap QName(string q) => Typed(q, "prov:QUALIFIED_NAME");

        private static EngramMap Typed(string value, string type) => new EngramMap(MapKind.Ordered) { { "$", value }, { "type", type } };

        private static object? LiteralValue(object? v)
        {
            switch (v)
            {
                case string s: return s;
                case bool _: case int _: case double _: return v;
                case null: return Typed("", "engram:null");
                case long l: return Typed(l.ToString(CultureInfo.InvariantCulture), "xsd:long");
                case decimal m: return Typed(m.ToString(CultureInfo.InvariantCulture), "xsd:decimal");
                case DateTime dt: return Typed(dt.ToString("o", CultureInfo.InvariantCulture), "xsd:dateTime");
                default: return Typed(Json.Serialize(v, indent: false), "engram:json");
            }
        }

        // ------------------------------------------------------------------ plain JSON

        public static EngramMap ToMap(ProvenanceEntry e)
        {
            var m = new EngramMap(MapKind.Ordered)
            {
                { "schema", e.Schema }, { "seq", e.Seq }, { "memoryId", e.MemoryId }, { "namespace", e.Namespace }, { "key", e.Key },
                { "action", e.Action }, { "actor", e.Actor }, { "timestamp", e.TimestampUtc }, { "branch", e.Branch },
                { "version", e.Version }, { "reason", e.Reason }, { "contentHash", e.ContentHash }, { "prevHash", e.PrevHash },
                { "hash", e.Hash }, { "details", e.Details },
            };
            if (e.HasValue) m.Add("value", e.Value);
            return m;
        }
    }
}
