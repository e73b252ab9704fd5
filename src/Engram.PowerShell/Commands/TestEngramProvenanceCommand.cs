using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Management.Automation;
using Engram.Core;

namespace Engram.PowerShell.Commands
{
    /// <summary>Verifies the hash chains of a namespace's histories, optionally against a head saved earlier (-Anchor).</summary>
    [Cmdlet(VerbsDiagnostic.Test, "EngramProvenance")]
    [OutputType(typeof(EngramStoreReport), typeof(bool))]
    public sealed class TestEngramProvenanceCommand : EngramCmdlet
    {
        [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
        [ArgumentCompleter(typeof(NamespaceCompleter))]
        public string Namespace { get; set; } = "";

        /// <summary>Only these memories (wildcards); default all.</summary>
        [Parameter(Position = 1)]
        [SupportsWildcards]
        [ArgumentCompleter(typeof(KeyCompleter))]
        public string[]? Key { get; set; }

        /// <summary>Only these memories, by exact key (no character is a wildcard).</summary>
        [Parameter]
        [ArgumentCompleter(typeof(KeyCompleter))]
        [ValidateNotNullOrEmpty]
        public string[]? LiteralKey { get; set; }

        /// <summary>A head from Get-EngramProvenance -Head (also after a round trip through JSON or CliXml).</summary>
        [Parameter]
        public PSObject? Anchor { get; set; }

        /// <summary>Return only $true or $false.</summary>
        [Parameter]
        public SwitchParameter Quiet { get; set; }

        protected override void ProcessEngramRecord()
        {
            Try(() =>
            {
                var store = ResolveStore();
                StoreReport report;
                if (Anchor != null)
                {
                    var head = ReadAnchor(Anchor);
                    if (!string.Equals(Names.NormalizeNamespace(head.Namespace), Names.NormalizeNamespace(Namespace), StringComparison.Ordinal))
                        throw new EngramException(EngramErrorIds.InvalidConfiguration, EngramErrorKind.InvalidArgument,
                            $"The anchor is for namespace '{head.Namespace}', not '{Namespace}'.", head.Namespace);
                    report = store.VerifyAgainst(head);
                }
                else
                {
                    var selector = KeySelector.From(Key, LiteralKey, true);
                    report = store.VerifyProvenance(Namespace, selector == null ? (Func<string, bool>?)null : selector.IsMatch);
                }
                foreach (var f in report.Findings)
                {
                    if (f.Severity == FindingSeverity.Warning) WriteWarning(f.Message);
                    else if (f.Severity == FindingSeverity.Information) WriteVerbose(f.Message);
                }
                if (Quiet) WriteObject(report.Healthy);
                else WriteObject(EngramMemory.Wrap(new EngramStoreReport(report), EngramStoreReport.TypeName));
            });
        }

        /// <summary>Reads an anchor from the live object or its deserialized form (property bags from JSON/CliXml).</summary>
        private static ProvenanceHead ReadAnchor(PSObject anchor)
        {
            if (anchor.BaseObject is EngramProvenanceHead live)
                return new ProvenanceHead(live.Namespace, live.Created, live.Entries.Select(e => new HeadEntry(e.Key, e.Seq, e.Hash)).ToList());
            string Prop(PSObject o, string name) =>
                o.Properties[name]?.Value?.ToString() ?? throw NotAnAnchor($"has no '{name}' property", name);
            var ns = Prop(anchor, "Namespace");
            var list = new List<HeadEntry>();
            if (anchor.Properties["Entries"]?.Value is object raw)
            {
                var items = raw is PSObject p ? p.BaseObject : raw;
                foreach (var item in items as IEnumerable ?? new[] { items })
                {
                    var o = item as PSObject ?? new PSObject(item);
                    var key = Prop(o, "Key");
                    if (!long.TryParse(Prop(o, "Seq"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var seq))
                        throw NotAnAnchor($"has an entry whose 'Seq' is not a number ('{key}')", key);
                    list.Add(new HeadEntry(key, seq, Prop(o, "Hash")));
                }
            }
            var head = new ProvenanceHead(ns, DateTime.UtcNow, list);
            var digest = anchor.Properties["Digest"]?.Value?.ToString();
            if (string.IsNullOrEmpty(digest))
                throw new EngramException(EngramErrorIds.InvalidAnchor, EngramErrorKind.InvalidArgument,
                    "The anchor has no 'Digest': pass the object from Get-EngramProvenance -Head (or its JSON/CliXml round trip), whose digest covers its entries.", ns);
            if (digest != head.Digest)
                throw new EngramException(EngramErrorIds.InvalidConfiguration, EngramErrorKind.InvalidData,
                    "The anchor's digest does not match its entries: the anchor itself was altered.", digest);
            return head;
        }

        private static EngramException NotAnAnchor(string what, string target) =>
            new EngramException(EngramErrorIds.InvalidAnchor, EngramErrorKind.InvalidArgument,
                $"The anchor {what}; pass the object from Get-EngramProvenance -Head (or its JSON/CliXml round trip).", target);
    }
}
