# Dot-sourced by every tests/Engram.Pester/*.Tests.ps1 in its BeforeAll block:
#     BeforeAll { . (Join-Path $PSScriptRoot 'TestSetup.ps1') }
# Imports the built module (out/Engram, made by `dotnet build`; $env:ENGRAM_MODULE overrides the manifest's path)
# and defines the helpers the test files share.
$script:RepoRoot = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
$manifest = if ($env:ENGRAM_MODULE) { $env:ENGRAM_MODULE } else { Join-Path $script:RepoRoot 'out/Engram/Engram.psd1' }
if (-not (Test-Path -LiteralPath $manifest)) {
    throw "The built module is missing at '$manifest': run 'dotnet build -c Release' first."
}
if (-not (Get-Module Engram)) { Import-Module $manifest -Force -ErrorAction Stop }

# A new, empty store location under TestDrive: a folder (file backend) or 'sqlite:<file>'.
function New-TestStore {
    param([ValidateSet('File', 'Sqlite')][string] $Kind = 'File')
    $name = 'store-' + [guid]::NewGuid().ToString('N').Substring(0, 8)
    if ($Kind -eq 'Sqlite') { return 'sqlite:' + (Join-Path $TestDrive ($name + '.db')) }
    return (Join-Path $TestDrive $name)
}

# Runs a script in a separate real pwsh, `dotnet pwsh -NoProfile -NonInteractive -File <File> <ArgumentList>`, from
# the repository root (its dotnet-tools.json provides pwsh; `dotnet tool restore` is done by the build of
# tests/Engram.Pester.Tests). -Environment sets variables for the child only. Returns ExitCode, Output and Errors.
function Invoke-TestPwsh {
    param(
        [Parameter(Mandatory)] [string] $File,
        [string[]] $ArgumentList = @(),
        [hashtable] $Environment = @{},
        [int] $TimeoutSeconds = 300
    )
    $dotnet = if ($env:DOTNET_HOST_PATH -and (Test-Path -LiteralPath $env:DOTNET_HOST_PATH)) { $env:DOTNET_HOST_PATH } else { 'dotnet' }
    $start = [System.Diagnostics.ProcessStartInfo]::new($dotnet)
    $start.WorkingDirectory = $script:RepoRoot
    foreach ($argument in @('pwsh', '-NoProfile', '-NonInteractive', '-File', $File) + $ArgumentList) { $start.ArgumentList.Add($argument) }
    $start.UseShellExecute = $false
    $start.RedirectStandardOutput = $true
    $start.RedirectStandardError = $true
    $start.Environment['NO_COLOR'] = '1'
    foreach ($name in $Environment.Keys) { $start.Environment[$name] = [string] $Environment[$name] }
    $process = [System.Diagnostics.Process]::Start($start)
    try {
        $stdout = $process.StandardOutput.ReadToEndAsync()
        $stderr = $process.StandardError.ReadToEndAsync()
        if (-not $process.WaitForExit($TimeoutSeconds * 1000)) {
            $process.Kill($true)
            throw "dotnet pwsh -File $File did not exit within $TimeoutSeconds s."
        }
        $process.WaitForExit()
        [pscustomobject]@{ ExitCode = $process.ExitCode; Output = $stdout.Result; Errors = $stderr.Result }
    } finally { $process.Dispose() }
}

# The ```powershell code blocks of a Markdown file, in order, each with the heading (## ...) it sits under.
function Get-MarkdownCodeBlock {
    param([Parameter(Mandatory)] [string] $Path, [string] $Language = 'powershell')
    $heading = ''
    $block = $null
    foreach ($line in Get-Content -LiteralPath $Path) {
        if ($null -ne $block) {
            if ($line -match '^```\s*$') {
                [pscustomobject]@{ Heading = $heading; Code = ($block -join "`n") }
                $block = $null
            } else { $block.Add($line) }
        } elseif ($line -match '^#+\s+(.*)$') {
            $heading = $Matches[1].Trim()
        } elseif ($line -match ('^```' + [regex]::Escape($Language) + '\s*$')) {
            $block = [System.Collections.Generic.List[string]]::new()
        }
    }
}
