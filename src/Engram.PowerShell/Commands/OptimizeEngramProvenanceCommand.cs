using System.Linq;
using System.Management.Automation;
using Engram.Core;

namespace Engram.PowerShell.Commands
{
    /// <summary>Applies the store's retention: squashes old history entries into one verifiable entry and frees their values.</summary>
    [Cmdlet(VerbsCommon.Optimize, "EngramProvenance", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
    [OutputType(typeof(EngramOptimizeReport))]
    public sealed class OptimizeEngramProvenanceCommand : EngramCmdlet
    {
        /// <summary>Namespaces to optimize (wildcards); default all.</summary>
        [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
        [SupportsWildcards]
        [ArgumentCompleter(typeof(NamespaceCompleter))]
        [ValidateNotNullOrEmpty]
        public string[] Namespace { get; set; } = { "*" };

        [Parameter]
        public string? Actor { get; set; }

        protected override void ProcessEngramRecord()
        {
            Try(() =>
            {
                var store = ResolveStore();
                var patterns = Namespace.Select(n => new WildcardPattern(n, WildcardOptions.IgnoreCase)).ToList();
                bool apply = ShouldProcess(store.Root, $"Squash provenance past retention in {string.Join(", ", Namespace)}");
                var reports = store.Optimize(ns => patterns.Any(p => p.IsMatch(ns)), dryRun: !apply, actor: ResolveActor(Actor),
                    progress: (done, total, ns) => WriteProgressStep(3, "Applying provenance retention", done, total, ns));
                foreach (var r in reports) WriteObject(EngramMemory.Wrap(new EngramOptimizeReport(r, store.Root), EngramOptimizeReport.TypeName));
            });
        }
    }
}
