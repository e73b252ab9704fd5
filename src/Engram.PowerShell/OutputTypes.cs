using System;
using System.Collections;
using System.Globalization;
using System.Linq;
using System.Management.Automation;
using System.Text;
using Engram.Core;
using Engram.Core.Provenance;
using Engram.Core.Values;

namespace Engram.PowerShell
{
    /// <summary>A memory, as Get-EngramMemory emits it (PSTypeName Engram.Memory); a search hit adds its score.</summary>
    public class EngramMemory
    {
        public const string TypeName = "Engram.Memory";

        internal EngramMemory(MemoryRecord m, string store)
        {
            Namespace = m.Namespace;
            Key = m.Key;
            Value = ValueConverter.ToPowerShell(m.Value);
            Version = m.Version;
            Tags = new EngramTags(m.Tags.ToArray());
            Created = m.CreatedUtc.ToLocalTime();
            Updated = m.UpdatedUtc.ToLocalTime();
            Id = m.Id;
            Branch = m.Branch;
            Store = store;
        }

        public string Namespace { get; }
        public string Key { get; }
        /// <summary>The key again, under the name -LiteralKey binds from the pipeline: a piped object that names a memory
        /// selects exactly that key, never a wildcard pattern (the PSPath/-LiteralPath convention).</summary>
        public string PSKey => Key;
        public object? Value { get; }
        public int Version { get; }
        /// <summary>The tags: a read-only list of strings whose text (what Export-Csv writes) is the tags joined by
        /// ", ", which Set-EngramMemory splits again when a CSV row is piped in.</summary>
        public EngramTags Tags { get; }
        public DateTime Created { get; }
        public DateTime Updated { get; }
        public string Id { get; }
        public string Branch { get; }
        public string Store { get; }
        /// <summary>The store and branch this memory is in; -Store and -Branch bind from it (see EngramOrigin).</summary>
        public EngramOrigin PSOrigin => new EngramOrigin(Store, Branch);

        public override string ToString() => Namespace + "/" + Key;

        internal PSObject ToPSObject() => Wrap(this, TypeName);

        internal static PSObject Wrap(object o, string typeName)
        {
            var pso = new PSObject(o);
            pso.TypeNames.Insert(0, typeName);
            return pso;
        }
    }

    /// <summary>One provenance entry, as Get-EngramProvenance emits it (PSTypeName Engram.ProvenanceEntry).
    /// Its Namespace, Key, Value and Store bind to Set-EngramMemory, so an old version pipes back to restore it.</summary>
    public sealed class EngramProvenanceEntry
    {
        public const string TypeName = "Engram.ProvenanceEntry";

        internal EngramProvenanceEntry(ProvenanceEntry e, string store)
        {
            Namespace = e.Namespace;
            Key = e.Key;
            Seq = e.Seq;
            Action = e.Action;
            Actor = e.Actor;
            Timestamp = e.TimestampUtc.ToLocalTime();
            Branch = e.Branch;
            Version = e.Version;
            Reason = e.Reason;
            HasValue = e.HasValue;
            Value = e.HasValue ? ValueConverter.ToPowerShell(e.Value) : null;
            ContentHash = e.ContentHash;
            PrevHash = e.PrevHash;
            Hash = e.Hash;
            MemoryId = e.MemoryId;
            Schema = e.Schema;
            Details = e.Details == null ? null : ValueConverter.ToPowerShell(e.Details);
            Confidence = e.Details != null && e.Details.TryGetValue("confidence", out var c) && c != null
                ? System.Convert.ToDouble(c, CultureInfo.InvariantCulture) : (double?)null;
            Sources = e.Details != null && e.Details.TryGetValue("derivedFrom", out var from) && from is object?[] refs
                ? refs.OfType<EngramMap>().Select(m => new EngramSource(m)).ToArray() : Array.Empty<EngramSource>();
            Store = store;
        }

        public string Namespace { get; }
        public string Key { get; }
        /// <summary>The key again, under the name -LiteralKey binds from the pipeline: a piped object that names a memory
        /// selects exactly that key, never a wildcard pattern (the PSPath/-LiteralPath convention).</summary>
        public string PSKey => Key;
        public long Seq { get; }
        public string Action { get; }
        public string Actor { get; }
        public DateTime Timestamp { get; }
        public string Branch { get; }
        public int Version { get; }
        public string? Reason { get; }
        public bool HasValue { get; }
        public object? Value { get; }
        public string? ContentHash { get; }
        public string? PrevHash { get; }
        public string Hash { get; }
        public string MemoryId { get; }
        public int Schema { get; }
        public object? Details { get; }
        /// <summary>How sure the actor was (0..1), from Set-EngramMemory -Confidence; null when not given.</summary>
        public double? Confidence { get; }
        /// <summary>The memories the value was derived from (-DerivedFrom), each pinned to its version (shown as
        /// 'ns/key@version'; they pass back to -DerivedFrom). Empty when none.</summary>
        public EngramSource[] Sources { get; }
        public string Store { get; }
        /// <summary>The store and branch this memory is in; -Store and -Branch bind from it (see EngramOrigin).</summary>
        public EngramOrigin PSOrigin => new EngramOrigin(Store, Branch);

        public override string ToString() => $"{Namespace}/{Key}#{Seq} {Action} v{Version}";

    }

    /// <summary>A namespace, as Get-EngramNamespace emits it (PSTypeName Engram.Namespace).</summary>
    public sealed class EngramNamespace
    {
        public const string TypeName = "Engram.Namespace";

        internal EngramNamespace(NamespaceInfo n, string store)
        {
            Name = n.Name;
            Namespace = n.Name;
            Tracked = n.Tracked;
            MemoryCount = n.MemoryCount;
            IsStandard = n.IsStandard;
            Exists = n.Exists;
            Store = store;
        }

        public string Name { get; }
        /// <summary>Same as Name, so a namespace pipes into -Namespace parameters by property name.</summary>
        public string Namespace { get; }
        public bool Tracked { get; }
        public int MemoryCount { get; }
        public bool IsStandard { get; }
        public bool Exists { get; }
        public string Store { get; }
        /// <summary>The store this object is from; -Store binds from it (see EngramOrigin).</summary>
        public EngramOrigin PSOrigin => new EngramOrigin(Store, null);

        public override string ToString() => Name;
    }

    /// <summary>A store and its configuration, as Initialize-EngramStore emits it (PSTypeName Engram.StoreInfo).</summary>
    public sealed class EngramStoreInfo
    {
        public const string TypeName = "Engram.StoreInfo";

        internal EngramStoreInfo(string path, StoreConfig c, string backend)
        {
            Path = path;
            Store = path;
            Backend = backend;
            Format = c.Format;
            TrackAll = c.TrackAll;
            TrackedNamespaces = c.TrackAll ? new[] { "*" } : c.TrackedNamespaces.ToArray();
            Durability = c.Durability.ToString();
            Embeddings = c.Embeddings == null ? null : $"{c.Embeddings.Provider} {c.Embeddings.Model} @ {c.Embeddings.EffectiveEndpoint}";
            var retention = new System.Collections.Generic.List<string> { "default: " + c.DefaultRetention.ToYaml() };
            foreach (var kv in c.NamespaceRetention.OrderBy(kv => kv.Key, System.StringComparer.Ordinal)) retention.Add(kv.Key + ": " + kv.Value.ToYaml());
            Retention = retention.ToArray();
        }

        public string Path { get; }
        public string Store { get; }
        /// <summary>The store this object is from; -Store binds from it (see EngramOrigin).</summary>
        public EngramOrigin PSOrigin => new EngramOrigin(Store, null);
        /// <summary>file, sqlite or postgres.</summary>
        public string Backend { get; }
        public int Format { get; }
        public bool TrackAll { get; }
        public string[] TrackedNamespaces { get; }
        public string Durability { get; }
        /// <summary>The embedding model semantic search uses (provider, model @ endpoint); null when none is configured.</summary>
        public string? Embeddings { get; }
        /// <summary>The retention rules: the store's default first, then one per namespace that has its own ("ns: rule").</summary>
        public string[] Retention { get; }

        public override string ToString() => Path;
    }

    /// <summary>Helpers the format views call.</summary>
    public static class Display
    {
        /// <summary>A one-line summary of a value, at most <paramref name="width"/> characters.</summary>
        public static string Summarize(object? value, int width)
        {
            var sb = new StringBuilder();
            Append(sb, value, 0, width + 1);
            var s = sb.ToString().Replace("\r", " ").Replace("\n", " ");
            return s.Length <= width ? s : s.Substring(0, Math.Max(0, width - 1)) + "…";
        }

        private static void Append(StringBuilder sb, object? value, int depth, int budget)
        {
            if (sb.Length > budget) return;
            if (value is PSObject pso && !(pso.BaseObject is PSCustomObject)) value = pso.BaseObject;
            switch (value)
            {
                case null: sb.Append("$null"); return;
                case string s: sb.Append(s); return;
                case bool b: sb.Append(b ? "True" : "False"); return;
                case DateTime dt: sb.Append(dt.ToString("u", CultureInfo.InvariantCulture)); return;
                case byte[] bytes: sb.Append("byte[").Append(bytes.Length).Append(']'); return;
                case PSObject obj:
                    sb.Append('{');
                    bool first = true;
                    foreach (var p in obj.Properties)
                    {
                        if (!first) sb.Append("; ");
                        first = false;
                        sb.Append(p.Name).Append('=');
                        if (depth < 2) Append(sb, p.Value, depth + 1, budget); else sb.Append('…');
                        if (sb.Length > budget) return;
                    }
                    sb.Append('}');
                    return;
                case IDictionary dict:
                    sb.Append("@{");
                    bool f = true;
                    foreach (DictionaryEntry e in dict)
                    {
                        if (!f) sb.Append("; ");
                        f = false;
                        sb.Append(e.Key).Append('=');
                        if (depth < 2) Append(sb, e.Value, depth + 1, budget); else sb.Append('…');
                        if (sb.Length > budget) return;
                    }
                    sb.Append('}');
                    return;
                case IEnumerable seq:
                    sb.Append('[');
                    bool fi = true;
                    foreach (var item in seq)
                    {
                        if (!fi) sb.Append(", ");
                        fi = false;
                        if (depth < 2) Append(sb, item, depth + 1, budget); else sb.Append('…');
                        if (sb.Length > budget) return;
                    }
                    sb.Append(']');
                    return;
                case IFormattable fmt: sb.Append(fmt.ToString(null, CultureInfo.CurrentCulture)); return;
                default: sb.Append(value); return;
            }
        }
    }
}

namespace Engram.PowerShell
{
    /// <summary>
    /// Where an Engram object comes from: its store and, for a memory or provenance entry, its branch. Every Engram
    /// object has a PSOrigin property of this type, and the cmdlets take -Store (and, for Set/Remove/Restore-EngramMemory,
    /// -Branch) from a piped object's PSOrigin when the command line does not give them. Nothing else does that: the
    /// Store and Branch columns of a CSV row (Import-Csv) or of any other object never send a command to another store
    /// or branch.
    /// </summary>
    public sealed class EngramOrigin
    {
        internal EngramOrigin(string store, string? branch)
        {
            Store = store;
            Branch = branch;
        }

        public string Store { get; }
        /// <summary>The branch of a memory or provenance entry; null for other objects.</summary>
        public string? Branch { get; }

        public override string ToString() => Branch == null ? Store : Store + " @" + Branch;
    }
}

namespace Engram.PowerShell
{
    /// <summary>A memory's tags: a read-only list of strings (index it, enumerate it, -contains, -join) whose
    /// ToString() is the tags joined by ", " — so Export-Csv writes "infra, deploy", not "System.String[]".</summary>
    public sealed class EngramTags : System.Collections.ObjectModel.ReadOnlyCollection<string>
    {
        /// <summary>What ToString() puts between tags, and where Set-EngramMemory splits a tags string from a CSV row.</summary>
        public const string Separator = ", ";

        internal EngramTags(string[] tags) : base(tags) { }

        public override string ToString() => string.Join(Separator, this);
    }
}

namespace Engram.PowerShell
{
    /// <summary>One source of a provenance entry (EngramProvenanceEntry.Sources): the memory and exact version a
    /// value was derived from. Shown as 'ns/key@version'; passes back to Set-EngramMemory -DerivedFrom.</summary>
    public sealed class EngramSource
    {
        internal EngramSource(EngramMap m)
        {
            string? Field(string name) => m.TryGetValue(name, out var v) ? System.Convert.ToString(v, CultureInfo.InvariantCulture) : null;
            Namespace = Field("namespace") ?? "";
            Key = Field("key") ?? "";
            Version = int.TryParse(Field("version"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var version) ? version : 0;
            Branch = Field("branch") ?? Names.DefaultBranch;
            MemoryId = Field("memoryId");
        }

        public string Namespace { get; }
        public string Key { get; }
        public int Version { get; }
        public string Branch { get; }
        public string? MemoryId { get; }

        public override string ToString() =>
            Namespace + "/" + Key + "@" + Version.ToString(CultureInfo.InvariantCulture) + (Branch == Names.DefaultBranch ? "" : " (" + Branch + ")");
    }
}
