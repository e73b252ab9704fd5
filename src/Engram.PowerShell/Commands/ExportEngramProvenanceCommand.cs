using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Text;
using Engram.Core;
using Engram.Core.History;

namespace Engram.PowerShell.Commands
{
    /// <summary>Exports a memory's history as a text tree, a Mermaid diagram, W3C PROV-JSON or plain JSON.</summary>
    [Cmdlet(VerbsData.Export, "EngramProvenance", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
    [OutputType(typeof(string))]
    public sealed class ExportEngramProvenanceCommand : MemoryCmdlet
    {
        /// <summary>Tree (text story), Mermaid (gitGraph), ProvJson (W3C PROV-JSON) or Json (the raw entries).</summary>
        [Parameter(Position = 2)]
        public EngramExportFormat Format { get; set; } = EngramExportFormat.Tree;

        /// <summary>Write to this file instead of the pipeline.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? Path { get; set; }

        /// <summary>Overwrite an existing -Path file.</summary>
        [Parameter]
        public SwitchParameter Force { get; set; }

        /// <summary>Tree format: times as "3h ago" instead of UTC timestamps.</summary>
        [Parameter]
        public SwitchParameter RelativeTime { get; set; }

        protected override void ProcessEngramRecord()
        {
            Try(() =>
            {
                var store = ResolveStore();
                var entries = store.GetProvenance(Namespace, Key, null, includeValues: true, branch: "*").ToList();
                var text = ProvenanceExporter.Export(entries, Format.ToCore(), RelativeTime ? TimeStyle.Relative : TimeStyle.Absolute);
                if (Path == null)
                {
                    WriteObject(text);
                    return;
                }
                var target = SessionState.Path.GetUnresolvedProviderPathFromPSPath(Path);
                if (File.Exists(target) && !Force)
                    throw new EngramException(EngramErrorIds.OutputFileExists, EngramErrorKind.AlreadyExists,
                        $"'{target}' exists; use -Force to overwrite it.", target);
                if (!ShouldProcess(target, $"Export the provenance of {Namespace}/{Key} as {Format}")) return;
                File.WriteAllText(target, text, new UTF8Encoding(false));
                WriteVerbose($"Wrote {entries.Count} entries as {Format} to {target}.");
            });
        }
    }
}
