#Requires -RunAsAdministrator
<#
.SYNOPSIS
  Installs silod, the Silo CRI runtime, as a Windows service for kubelet.
.DESCRIPTION
  Verifies the unpacked zip against its SHA256SUMS, checks the host (OS build,
  Containers feature, Host Network Service), copies silod.exe (and
  silo-shim.exe when the zip has it) to Program Files, writes a config under
  ProgramData (kept if present unless -Force), registers the "silo" service
  and the "silo" Application event log source (silod.exe --register-service),
  starts the service, and prints the kubelet flags and a crictl.yaml.
.EXAMPLE
  .\install.ps1 -SourceDir C:\Downloads\silo
#>
[CmdletBinding()]
param(
    [string]$SourceDir = $PSScriptRoot,
    [string]$InstallDir = (Join-Path $env:ProgramFiles 'silo'),
    [string]$DataDir = (Join-Path $env:ProgramData 'silo'),
    [string]$PipeName = 'silo',
    [string]$CniBinDir = (Join-Path $env:ProgramFiles 'silo\cni\bin'),
    [string]$CniConfDir = (Join-Path $env:ProgramFiles 'silo\cni\conf'),
    [switch]$Force
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

$MinimumBuild = 17763  # Windows Server 2019: process-isolated containers and HCN v2

function Test-Prerequisites {
    $build = [int](Get-ItemProperty 'HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion').CurrentBuildNumber
    if ($build -lt $MinimumBuild) {
        throw "Silo needs Windows Server 2019 (build $MinimumBuild) or later; this host is build $build."
    }
    $containers = Get-WindowsOptionalFeature -Online -FeatureName Containers -ErrorAction SilentlyContinue
    if ($null -eq $containers -or $containers.State -ne 'Enabled') {
        throw 'The Containers feature is not enabled. Run: Enable-WindowsOptionalFeature -Online -FeatureName Containers -All, then reboot.'
    }
    $hns = Get-Service -Name 'hns' -ErrorAction SilentlyContinue
    if ($null -eq $hns) {
        throw 'The Host Network Service (hns) is missing; it comes with the Containers feature.'
    }
    if ($hns.Status -ne 'Running') {
        Write-Host 'Starting the Host Network Service (hns)'
        Start-Service -Name 'hns'
    }
    if (-not (Test-Path -LiteralPath (Join-Path $SourceDir 'silod.exe'))) {
        throw "silod.exe not found in $SourceDir (pass -SourceDir)."
    }
    Write-Host "Host OK: build $build, Containers enabled, hns running"
}

# The files of the zip must be the ones its SHA256SUMS lists (sha256sum format:
# "<hex>  <name>"): a truncated download or a swapped binary stops here.
function Test-PackageHashes {
    $sums = Join-Path $SourceDir 'SHA256SUMS'
    if (-not (Test-Path -LiteralPath $sums)) {
        Write-Warning "No SHA256SUMS in $SourceDir: the files are not verified"
        return
    }
    foreach ($line in Get-Content -LiteralPath $sums) {
        if ($line -notmatch '^([0-9a-f]{64}) [ *](.+)$') { throw "Malformed line in SHA256SUMS: $line" }
        $want = $Matches[1]
        $file = Join-Path $SourceDir $Matches[2]
        if (-not (Test-Path -LiteralPath $file)) { throw "$($Matches[2]) is listed in SHA256SUMS but missing" }
        $got = (Get-FileHash -LiteralPath $file -Algorithm SHA256).Hash.ToLowerInvariant()
        if ($got -ne $want) { throw "$($Matches[2]) does not match SHA256SUMS (got $got)" }
    }
    Write-Host 'Package files match SHA256SUMS'
}

# The binaries the zip carries: silo-shim.exe is optional until it ships.
function Get-PackageBinaries {
    $files = @('silod.exe')
    if (Test-Path -LiteralPath (Join-Path $SourceDir 'silo-shim.exe')) { $files += 'silo-shim.exe' }
    return $files
}

function Install-Binaries {
    $service = Get-Service -Name 'silo' -ErrorAction SilentlyContinue
    if ($null -ne $service -and $service.Status -eq 'Running') {
        # Containers keep running: each is owned by its silo-shim, not by silod.
        Write-Host 'Stopping the running silo service for the upgrade'
        Stop-Service -Name 'silo'
    }
    New-Item -ItemType Directory -Force -Path $InstallDir | Out-Null
    foreach ($file in Get-PackageBinaries) {
        Copy-Item -LiteralPath (Join-Path $SourceDir $file) -Destination $InstallDir -Force
    }
    Write-Host "Installed binaries in $InstallDir"
}

function Write-DefaultConfig {
    foreach ($dir in @($DataDir, (Join-Path $DataDir 'root'), (Join-Path $DataDir 'state'), (Join-Path $DataDir 'logs'))) {
        New-Item -ItemType Directory -Force -Path $dir | Out-Null
    }
    # Only SYSTEM and Administrators may read the runtime's state, and owners
    # set by anyone else are taken back.
    & icacls.exe $DataDir /setowner '*S-1-5-32-544' /T /C | Out-Null
    & icacls.exe $DataDir /inheritance:r /grant:r 'SYSTEM:(OI)(CI)F' 'BUILTIN\Administrators:(OI)(CI)F' | Out-Null
    if ($LASTEXITCODE -ne 0) { throw "icacls failed on $DataDir" }
    # silod runs CNI plugins as SYSTEM: only administrators may change them.
    foreach ($dir in @($CniBinDir, $CniConfDir)) {
        New-Item -ItemType Directory -Force -Path $dir | Out-Null
        & icacls.exe $dir /inheritance:r /grant:r 'SYSTEM:(OI)(CI)F' 'BUILTIN\Administrators:(OI)(CI)F' 'BUILTIN\Users:(OI)(CI)RX' | Out-Null
        if ($LASTEXITCODE -ne 0) { throw "icacls failed on $dir" }
    }

    $config = Join-Path $DataDir 'silod.yaml'
    if ((Test-Path -LiteralPath $config) -and -not $Force) {
        Write-Host "Keeping the existing $config (pass -Force to overwrite)"
        return $config
    }
    $yaml = @"
# silod configuration (written by install.ps1). Reference: silod config default
root: $($DataDir -replace '\\', '/')/root
state: $($DataDir -replace '\\', '/')/state
listen: npipe://./pipe/$PipeName
log:
  level: info
  file: $($DataDir -replace '\\', '/')/logs/silod.log
  max_size_mb: 100
  max_files: 5
cni:
  bin_dirs: [$($CniBinDir -replace '\\', '/')]
  conf_dir: $($CniConfDir -replace '\\', '/')
metrics:
  enabled: true
  address: 127.0.0.1:9464
runtime:
  # containerd's name for process isolation; kubelet's default handler ("") maps to it.
  default_handler: runhcs-wcow-process
  handlers:
    - {name: runhcs-wcow-process, type: process}
    - {name: hostprocess, type: hostprocess}
"@
    Set-Content -LiteralPath $config -Value $yaml -Encoding UTF8
    Write-Host "Wrote $config"
    return $config
}

function Register-Silo([string]$Config) {
    $silod = Join-Path $InstallDir 'silod.exe'
    # Registers the service and the Application event log source "silo"
    # (service start, stop and fatal errors are logged there).
    & $silod --register-service --config $Config
    if ($LASTEXITCODE -ne 0) { throw "silod --register-service failed with exit code $LASTEXITCODE" }
    Start-Service -Name 'silo'
    Write-Host 'Service "silo" registered (automatic start, restarts on failure) and started'
}

function Write-ClientConfig {
    $crictl = Join-Path $DataDir 'crictl.yaml'
    $text = @"
runtime-endpoint: npipe:////./pipe/$PipeName
image-endpoint: npipe:////./pipe/$PipeName
timeout: 30
"@
    Set-Content -LiteralPath $crictl -Value $text -Encoding UTF8
    Write-Host ''
    Write-Host 'kubelet flags:'
    Write-Host "  --container-runtime-endpoint=npipe:////./pipe/$PipeName"
    Write-Host "  --image-service-endpoint=npipe:////./pipe/$PipeName"
    Write-Host ''
    Write-Host "crictl: crictl --config $crictl ps   (or copy it to C:\Users\<you>\.crictl\crictl.yaml)"
}

Test-PackageHashes
Test-Prerequisites
Install-Binaries
$configPath = Write-DefaultConfig
Register-Silo -Config $configPath
Write-ClientConfig
