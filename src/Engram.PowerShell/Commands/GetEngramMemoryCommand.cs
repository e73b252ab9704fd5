using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using Engram.Core;

namespace Engram.PowerShell.Commands
{
    /// <summary>Gets memories by namespace and key (wildcards allowed) and optionally tag. Never reads provenance.</summary>
    [Cmdlet(VerbsCommon.Get, "EngramMemory")]
    [OutputType(typeof(EngramMemory))]
    public sealed class GetEngramMemoryCommand : EngramCmdlet
    {
        [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
        [SupportsWildcards]
        [ArgumentCompleter(typeof(NamespaceCompleter))]
        [ValidateNotNullOrEmpty]
        public string[] Namespace { get; set; } = { "*" };

        // No "Name" alias here: namespace and branch objects have a Name, and piping them in
        // (Get-EngramNamespace s* | Get-EngramMemory) must bind only -Namespace / -Branch, not -Key.
        [Parameter(Position = 1, ValueFromPipelineByPropertyName = true)]
        [SupportsWildcards]
        [ArgumentCompleter(typeof(KeyCompleter))]
        [ValidateNotNull] // an empty key is refused with InvalidKey
        public string[] Key { get; set; } = { "*" };

        /// <summary>Exact keys: no character is a wildcard. Memory objects piped in bind here (by their PSKey property).</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        [Alias("PSKey")]
        [ArgumentCompleter(typeof(KeyCompleter))]
        [ValidateNotNull]
        public string[]? LiteralKey { get; set; }

        /// <summary>The branch (default: main).</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        [ArgumentCompleter(typeof(BranchCompleter))]
        [ValidateNotNullOrEmpty]
        public string Branch { get; set; } = "main";

        /// <summary>The main line as it was at this time, rebuilt from provenance (tracked memories only).</summary>
        [Parameter]
        public DateTimeOffset? AsOf { get; set; }

        /// <summary>Only memories with at least one matching tag.</summary>
        [Parameter]
        [SupportsWildcards]
        public string[]? Tag { get; set; }

        private bool _keyFromCommandLine;

        protected override void BeginEngramProcessing() => _keyFromCommandLine = MyInvocation.BoundParameters.ContainsKey(nameof(Key));

        /// <summary>Only derived memories whose sources changed since (each with its StaleSources: pinned version vs
        /// current); main line only.</summary>
        [Parameter]
        public SwitchParameter Stale { get; set; }

        protected override void ProcessEngramRecord()
        {
            if (!TryResolveExistingStore(out var store)) return;
            var selector = KeySelector.From(Key, LiteralKey, _keyFromCommandLine)!;

            if (Stale && (AsOf.HasValue || Names.NormalizeBranch(Branch) != Names.DefaultBranch))
            {
                WriteEngramError(new EngramException(EngramErrorIds.InvalidConfiguration, EngramErrorKind.InvalidArgument,
                    "-Stale looks at the current main line and cannot be combined with -AsOf or -Branch.", "Stale"));
                return;
            }

            var namespaces = new List<string>();
            bool namespaceRefused = false; // an exact namespace was already reported (invalid, or without the branch)
            foreach (var pattern in Namespace)
            {
                if (WildcardPattern.ContainsWildcardCharacters(pattern))
                {
                    var wp = new WildcardPattern(pattern, WildcardOptions.IgnoreCase);
                    namespaces.AddRange(store.ListNamespaces().Where(n => wp.IsMatch(n)));
                }
                else
                {
                    try { namespaces.Add(Names.NormalizeNamespace(pattern)); }
                    catch (EngramException ex) { WriteEngramError(ex); namespaceRefused = true; }
                }
            }
            namespaces = namespaces.Distinct().ToList();
            if (AsOf.HasValue)
            {
                WriteAsOf(store, namespaces, selector);
                return;
            }
            bool onBranch = Names.NormalizeBranch(Branch) != Names.DefaultBranch;
            if (onBranch)
            {
                // Only namespaces that have this branch; an exact namespace without it is an error.
                var unreadable = new List<string>();
                var withBranch = namespaces.Where(n => SafeHasBranch(store, n, unreadable)).ToList();
                foreach (var n in namespaces.Except(withBranch).Except(unreadable)) // an unreadable branch was reported already
#pragma warning disable CA1862 // kept as is: namespace names are lower-cased with ToLowerInvariant, which OrdinalIgnoreCase does not match exactly (U+212A KELVIN SIGN)
                    if (Namespace.Any(p => !WildcardPattern.ContainsWildcardCharacters(p) && p.ToLowerInvariant() == n))
#pragma warning restore CA1862
                    {
                        WriteEngramError(new EngramException(EngramErrorIds.BranchNotFound, EngramErrorKind.NotFound, $"There is no branch '{Branch}' of namespace '{n}'.", n + "@" + Branch));
                        namespaceRefused = true;
                    }
                namespaces = withBranch;
                namespaceRefused |= unreadable.Count > 0;
            }
            var tagPatterns = Tag?.Select(t => new WildcardPattern(t, WildcardOptions.IgnoreCase)).ToList();

            foreach (var (key, wp) in selector.Items)
            {
                if (onBranch && wp != null)
                {
                    foreach (var ns in namespaces)
                    {
                        IReadOnlyList<string> keys;
                        try { keys = store.ListKeys(ns, Branch); }
                        catch (EngramException ex) { WriteEngramError(ex); continue; }
                        foreach (var k in keys.Where(k => wp.IsMatch(k) || k == key))
                        {
                            try
                            {
                                var m = store.TryGet(ns, k, Branch);
                                if (m != null) Emit(m, store, tagPatterns);
                            }
                            catch (EngramException ex) { WriteEngramError(ex); }
                        }
                    }
                }
                else if (wp != null)
                {
                    foreach (var ns in namespaces)
                        foreach (var location in store.List(ns))
                        {
                            if (location.Key != null && !wp.IsMatch(location.Key) && location.Key != key) continue;
                            MemoryRecord m;
                            try { m = store.Read(location); }
                            catch (EngramException ex) { WriteEngramError(ex); continue; }
                            if (location.Key == null && !wp.IsMatch(m.Key) && m.Key != key) continue;
                            Emit(m, store, tagPatterns);
                        }
                }
                else
                {
                    bool found = false;
                    foreach (var ns in namespaces)
                    {
                        try
                        {
                            var m = store.TryGet(ns, key, Branch);
                            if (m == null) continue;
                            found = true;
                            Emit(m, store, tagPatterns);
                        }
                        catch (EngramException ex)
                        {
                            found = true;
                            WriteEngramError(ex);
                        }
                    }
                    if (!found)
                    {
                        if (namespaces.Count == 0 && namespaceRefused) continue; // already reported: no "not found" on top
                        try { Names.ValidateKey(key); }
                        catch (EngramException ex) { WriteEngramError(ex); continue; }
                        var where = namespaces.Count == 0 ? "any namespace" : namespaces.Count == 1 ? $"namespace '{namespaces[0]}'" : $"namespaces {string.Join(", ", namespaces)}";
                        WriteEngramError(new EngramException(EngramErrorIds.MemoryNotFound, EngramErrorKind.NotFound,
                            $"No memory '{key}' in {where}.", key));
                    }
                }
            }
        }

        private void WriteAsOf(IEngramStore store, List<string> namespaces, KeySelector selector)
        {
            if (Names.NormalizeBranch(Branch) != Names.DefaultBranch || Tag != null)
            {
                WriteEngramError(new EngramException(EngramErrorIds.InvalidConfiguration, EngramErrorKind.InvalidArgument,
                    "-AsOf shows the main line and cannot be combined with -Branch or -Tag.", AsOf));
                return;
            }
            // A [datetime] converts to a DateTimeOffset; Unspecified (a typed [datetime] literal) counts as local time.
            var when = AsOf!.Value.UtcDateTime;
            foreach (var ns in namespaces)
            {
                try
                {
                    if (!store.Config.IsTracked(ns))
                        WriteWarning($"Namespace '{ns}' is not tracked by default: -AsOf shows only its memories that have provenance.");
                    var result = store.GetAsOf(ns, when, selector.IsMatch);
                    foreach (var k in result.Unavailable)
                        WriteWarning($"The history of '{k}' in '{ns}' before {when:u} was squashed by retention; its state then is unknown.");
                    foreach (var m in result.Memories) WriteObject(new EngramMemory(m, store.Root).ToPSObject());
                }
                catch (EngramException ex) { WriteEngramError(ex); }
            }
        }

        private bool SafeHasBranch(IEngramStore store, string ns, List<string> unreadable)
        {
            try { return store.TryGetBranch(ns, Branch) != null; }
            catch (EngramException ex) { WriteEngramError(ex); unreadable.Add(ns); return false; }
        }

        private void Emit(MemoryRecord m, IEngramStore store, List<WildcardPattern>? tagPatterns)
        {
            if (tagPatterns != null && !m.Tags.Any(t => tagPatterns.Any(p => p.IsMatch(t)))) return;
            if (Stale)
            {
                var stale = StaleSources.Stale(store, m.Namespace, m.Key);
                if (stale.Count == 0) return;
                var o = new EngramMemory(m, store.Root).ToPSObject();
                o.Properties.Add(new PSNoteProperty("StaleSources", stale.ToArray()));
                WriteObject(o);
                return;
            }
            WriteObject(new EngramMemory(m, store.Root).ToPSObject());
        }
    }
}
