using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using Engram.Core.Search;
using Engram.Core.Storage;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Engram.Core
{
    /// <summary>The store's configuration, <c>engram.yaml</c> at the store root.</summary>
    public sealed class StoreConfig
    {
        /// <summary>The newest store format this build reads and writes. Format 2 adds retention (squashed
        /// histories, which a format-1 reader would misread as broken); format 1 stores are read as they are and
        /// upgraded by Update-EngramStore.</summary>
        public const int CurrentFormat = 2;

        public const string FileName = "engram.yaml";

        public int Format { get; set; } = CurrentFormat;

        /// <summary>Track provenance for every namespace (overrides <see cref="TrackedNamespaces"/>).</summary>
        public bool TrackAll { get; set; }

        /// <summary>Namespaces whose memories are tracked by default. The seed's default: shared and longterm.</summary>
        public List<string> TrackedNamespaces { get; set; } = new List<string>(Names.DefaultTrackedNamespaces);

        public Durability Durability { get; set; } = Durability.Normal;

        /// <summary>The default of <see cref="MaxValueBytes"/>: 16 MiB.</summary>
        public const long DefaultMaxValueBytes = 16L * 1024 * 1024;

        /// <summary>
        /// The largest value a write accepts (<c>maxValueBytes</c>), measured by <see cref="Values.ValueCodec.Size"/>:
        /// the UTF-8 bytes of its text. Larger values are refused with ValueTooLarge before anything is written.
        /// </summary>
        public long MaxValueBytes
        {
            get => _maxValueBytes ?? DefaultMaxValueBytes;
            set => _maxValueBytes = value;
        }

        private long? _maxValueBytes; // null: not set (the default; engram.yaml shows it as a comment)

        /// <summary>
        /// The largest memory file a reader loads: <see cref="MaxValueBytes"/> × <see cref="ReadAllowanceFactor"/> + 1 MiB
        /// (a value's YAML form is larger than its size by its indentation, quotes and escapes, never by this much).
        /// A larger file (planted by hand) is refused with ValueTooLarge instead of being read into memory.
        /// </summary>
        public long MaxMemoryFileBytes => MaxValueBytes > (long.MaxValue - (1L << 20)) / ReadAllowanceFactor ? long.MaxValue : MaxValueBytes * ReadAllowanceFactor + (1L << 20);

        /// <summary>See <see cref="MaxMemoryFileBytes"/>.</summary>
        public const int ReadAllowanceFactor = 8;

        /// <summary>The top-level keys of engram.yaml; any other is refused (a misspelt key is never silently ignored).</summary>
        internal static readonly string[] TopLevelKeys = { "format", "provenance", "durability", "retention", "embeddings", "maxValueBytes" };
        private static readonly string[] ProvenanceKeys = { "track" };
        private static readonly string[] RetentionKeys = { "default", "namespaces" };

        /// <summary>Retention when a namespace has no rule of its own. Default: keep history forever.</summary>
        public RetentionPolicy DefaultRetention { get; set; } = RetentionPolicy.Forever;

        /// <summary>Per-namespace retention rules.</summary>
        public Dictionary<string, RetentionPolicy> NamespaceRetention { get; set; } = new Dictionary<string, RetentionPolicy>(StringComparer.Ordinal);

        /// <summary>The embedding generator for semantic search (the optional <c>embeddings:</c> section); null when
        /// none is configured. Any format: older builds ignore the section.</summary>
        public EmbeddingsConfig? Embeddings { get; set; }

        /// <summary>
        /// For a re-initialization (<c>Initialize -Force</c>), which sets the provenance policy and durability: keeps
        /// <paramref name="existing"/>'s retention and embeddings settings where this configuration leaves them at their
        /// defaults, so that rewriting the policy does not silently drop them.
        /// </summary>
        public StoreConfig KeepSectionsOf(StoreConfig existing)
        {
            if (DefaultRetention.IsForever) DefaultRetention = existing.DefaultRetention;
            if (NamespaceRetention.Count == 0) NamespaceRetention = new Dictionary<string, RetentionPolicy>(existing.NamespaceRetention, StringComparer.Ordinal);
            if (Embeddings == null) Embeddings = existing.Embeddings;
            if (_maxValueBytes == null) _maxValueBytes = existing._maxValueBytes;
            return this;
        }

        /// <summary>Sets the store's default retention (<paramref name="ns"/> null) or one namespace's.</summary>
        public void SetRetention(string? ns, RetentionPolicy policy)
        {
            if (ns == null) DefaultRetention = policy;
            else NamespaceRetention[ns] = policy;
        }

        public RetentionPolicy RetentionFor(string ns) => NamespaceRetention.TryGetValue(ns, out var r) ? r : DefaultRetention;

        /// <summary>Whether a new memory in <paramref name="ns"/> is tracked when the caller does not say.</summary>
        public bool IsTracked(string ns) => TrackAll || TrackedNamespaces.Contains(ns, StringComparer.Ordinal);

        public string ToYaml()
        {
            var sb = new StringBuilder();
            sb.Append("# Engram store configuration. See docs/store-format.md.\n");
            sb.Append("format: ").Append(Format).Append('\n');
            sb.Append("provenance:\n");
            sb.Append("  # Namespaces whose memories keep a provenance history by default ('all' tracks every namespace).\n");
            sb.Append("  # A memory that already has history is always tracked.\n");
            if (TrackAll) sb.Append("  track: all\n");
            else sb.Append("  track: [").Append(string.Join(", ", TrackedNamespaces)).Append("]\n");
            sb.Append("# normal: a write is handed to the OS before it returns (survives a killed process).\n");
            sb.Append("# full: every file is fsync'ed before it is renamed into place (no torn files after a power cut; slower).\n");
            sb.Append("durability: ").Append(Durability == Durability.Full ? "full" : "normal").Append('\n');
            if (Format >= 2)
            {
                sb.Append("# How long provenance history is kept: 'forever', or {maxAge: 90d, maxEntries: 1000} (either or both).\n");
                sb.Append("# Optimize-EngramProvenance squashes what is older into one verifiable 'squashed' entry.\n");
                sb.Append("retention:\n");
                sb.Append("  default: ").Append(DefaultRetention.ToYaml()).Append('\n');
                if (NamespaceRetention.Count > 0)
                {
                    sb.Append("  namespaces:\n");
                    foreach (var kv in NamespaceRetention.OrderBy(k => k.Key, StringComparer.Ordinal))
                        sb.Append("    ").Append(kv.Key).Append(": ").Append(kv.Value.ToYaml()).Append('\n');
                }
            }
            sb.Append("# The largest value a write accepts, in bytes (UTF-8 of its text; default 16 MiB = ").Append(DefaultMaxValueBytes).Append(").\n");
            if (_maxValueBytes == null) sb.Append("# maxValueBytes: ").Append(DefaultMaxValueBytes).Append('\n');
            else sb.Append("maxValueBytes: ").Append(MaxValueBytes.ToString(System.Globalization.CultureInfo.InvariantCulture)).Append('\n');
            Embeddings?.AppendYaml(sb);
            return sb.ToString();
        }

        /// <summary>Parses engram.yaml. Refuses formats newer than this build (the file is never rewritten then).</summary>
        public static StoreConfig Parse(string text, string path)
        {
            YamlMappingNode root;
            try
            {
                var stream = new YamlStream();
                stream.Load(new StringReader(text));
                root = stream.Documents.Count == 0 ? new YamlMappingNode() : stream.Documents[0].RootNode as YamlMappingNode
                    ?? throw Malformed(path, "the top level must be a mapping");
            }
            catch (YamlException ex)
            {
                throw Malformed(path, $"line {ex.Start.Line}: {ex.Message}", ex);
            }

            var config = new StoreConfig();
            if (!TryScalar(root, "format", out var format) || !int.TryParse(format, out var f) || f < 1)
                throw Malformed(path, "'format' must be a positive whole number");
            if (f > CurrentFormat)
                throw new EngramException(EngramErrorIds.UnsupportedFormatVersion, EngramErrorKind.NotSupported,
                    $"The store at '{Path.GetDirectoryName(path)}' uses format {f}, but this version of Engram only knows formats up to {CurrentFormat}. Update the Engram module; the store was not changed.", path);
            config.Format = f;
            CheckKeys(root, TopLevelKeys, path, null); // after the format: a newer format may have keys this build does not know

            if (root.Children.TryGetValue(new YamlScalarNode("provenance"), out var provNode))
            {
                if (!(provNode is YamlMappingNode prov)) throw Malformed(path, "'provenance' must be a mapping");
                CheckKeys(prov, ProvenanceKeys, path, "provenance");
                if (prov.Children.TryGetValue(new YamlScalarNode("track"), out var track))
                {
                    if (track is YamlScalarNode s && s.Value == "all") config.TrackAll = true;
                    else if (track is YamlSequenceNode seq)
                    {
                        config.TrackedNamespaces = new List<string>();
                        foreach (var item in seq)
                        {
                            if (!(item is YamlScalarNode n) || n.Value == null || !Names.IsValidNamespace(n.Value))
                                throw Malformed(path, $"'provenance.track' lists an invalid namespace name '{item}'");
                            config.TrackedNamespaces.Add(n.Value.ToLowerInvariant());
                        }
                    }
                    else throw Malformed(path, "'provenance.track' must be 'all' or a list of namespace names");
                }
            }

            if (root.Children.TryGetValue(new YamlScalarNode("retention"), out var retNode))
            {
                if (!(retNode is YamlMappingNode ret)) throw Malformed(path, "'retention' must be a mapping");
                CheckKeys(ret, RetentionKeys, path, "retention");
                if (ret.Children.TryGetValue(new YamlScalarNode("default"), out var def))
                    config.DefaultRetention = RetentionPolicy.Parse(def, path, "retention.default");
                if (ret.Children.TryGetValue(new YamlScalarNode("namespaces"), out var nss))
                {
                    if (!(nss is YamlMappingNode nsMap)) throw Malformed(path, "'retention.namespaces' must be a mapping");
                    foreach (var kv in nsMap.Children)
                    {
                        var name = (kv.Key as YamlScalarNode)?.Value;
                        if (name == null || !Names.IsValidNamespace(name)) throw Malformed(path, $"'retention.namespaces' names an invalid namespace '{kv.Key}'");
                        config.NamespaceRetention[name.ToLowerInvariant()] = RetentionPolicy.Parse(kv.Value, path, "retention.namespaces." + name);
                    }
                }
            }

            if (root.Children.TryGetValue(new YamlScalarNode("embeddings"), out var embeddings))
                config.Embeddings = EmbeddingsConfig.Parse(embeddings, path);

            if (TryScalar(root, "durability", out var durability))
            {
                if (durability == "normal") config.Durability = Durability.Normal;
                else if (durability == "full") config.Durability = Durability.Full;
                else throw Malformed(path, "'durability' must be 'normal' or 'full'");
            }

            if (root.Children.ContainsKey(new YamlScalarNode("maxValueBytes")))
            {
                if (!TryScalar(root, "maxValueBytes", out var max) || !long.TryParse(max, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var limit) || limit < 1)
                    throw Malformed(path, "'maxValueBytes' must be a positive whole number of bytes (default " + DefaultMaxValueBytes + " = 16 MiB)");
                config.MaxValueBytes = limit;
            }
            return config;
        }

        private static bool TryScalar(YamlMappingNode map, string key, out string? value)
        {
            value = null;
            if (!map.Children.TryGetValue(new YamlScalarNode(key), out var node)) return false;
            value = (node as YamlScalarNode)?.Value;
            return value != null;
        }

        /// <summary>Refuses a key of <paramref name="map"/> that is not in <paramref name="known"/>, naming the nearest known one.</summary>
        internal static void CheckKeys(YamlMappingNode map, IReadOnlyList<string> known, string path, string? section)
        {
            foreach (var k in map.Children.Keys)
            {
                var name = (k as YamlScalarNode)?.Value;
                if (name != null && known.Contains(name, StringComparer.Ordinal)) continue;
                throw UnknownKey(path, section, name ?? k.ToString(), known);
            }
        }

        /// <summary>The MalformedStoreConfig error for an unknown key: "did you mean 'durability'?" and the known keys.</summary>
        internal static EngramException UnknownKey(string path, string? section, string name, IReadOnlyList<string> known)
        {
            var where = section == null ? "the top level" : $"'{section}'";
            var nearest = Spelling.Nearest(name, known);
            var hint = nearest == null ? "" : $"; did you mean '{nearest}'?";
            return Malformed(path, $"{where} has an unknown key '{name}'{hint} (known keys: {string.Join(", ", known)})");
        }

        internal static EngramException Malformed(string path, string why, Exception? inner = null) =>
            new EngramException(EngramErrorIds.MalformedStoreConfig, EngramErrorKind.InvalidData,
                $"The store configuration '{path}' is not valid: {why}.", path, inner);
    }
}
