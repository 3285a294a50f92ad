// Runs a batch of IAM requests through @cloud-copilot/iam-simulate (the pinned npm package):
// JSON on stdin, {"requests": [{"id": ..., "simulation": <iam-simulate Simulation>}]}, and
// JSON on stdout, one answer per request in the same order. The principal "anonymous"
// stands for iam-simulate's anonymousPrincipal (an unsigned request).
//
// Each answer: the decision (overallResult), validation errors, the context keys the
// simulator dropped as not applying to the action, and which statements decided it
// (getGrantReasons / getDenialReasons), plus the statements that name the action but did
// not apply (with which part failed to match), so a failing row can say why.
import {
  anonymousPrincipal,
  getDenialReasons,
  getGrantReasons,
  runSimulation
} from '@cloud-copilot/iam-simulate'

const LAYERS = {
  identity: 'identityAnalysis',
  resource: 'resourceAnalysis',
  pb: 'permissionBoundaryAnalysis',
  vpce: 'endpointAnalysis'
}

function describe(statementAnalysis, layer) {
  const statement = statementAnalysis.statement
  return {
    layer,
    policy: statementAnalysis.policyId,
    sid: statement.sid() ?? null,
    index: statement.index(),
    effect: statement.effect(),
    actionMatch: statementAnalysis.actionMatch,
    resourceMatch: statementAnalysis.resourceMatch,
    principalMatch: statementAnalysis.principalMatch,
    conditionMatch: statementAnalysis.conditionMatch
  }
}

function nearMisses(analysis) {
  const misses = []
  for (const [layer, field] of Object.entries(LAYERS)) {
    for (const statement of analysis?.[field]?.unmatchedStatements ?? []) {
      if (statement.actionMatch) {
        misses.push(describe(statement, layer))
      }
    }
  }
  return misses
}

async function answer({ id, simulation }) {
  if (simulation.request.principal === 'anonymous') {
    simulation.request.principal = anonymousPrincipal
  }
  const result = await runSimulation(simulation, {})
  if (result.resultType === 'error') {
    return { id, resultType: 'error', errors: result.errors }
  }
  if (result.resultType !== 'single') {
    // A '*' in the request's resource makes iam-simulate try every matching pattern;
    // the matrix asks about one real resource (a literal '*' goes in as a stand-in).
    return { id, resultType: result.resultType, errors: { message: 'wildcard.request' } }
  }
  const analysis = result.result.analysis
  return {
    id,
    resultType: 'single',
    decision: result.overallResult,
    ignoredContextKeys: result.result.ignoredContextKeys ?? [],
    blockedBy: analysis.blockedBy ?? [],
    grants: getGrantReasons(analysis),
    denials: getDenialReasons(analysis),
    nearMisses: nearMisses(analysis)
  }
}

const chunks = []
for await (const chunk of process.stdin) {
  chunks.push(chunk)
}
const { requests } = JSON.parse(Buffer.concat(chunks).toString('utf8'))
const answers = []
for (const request of requests) {
  answers.push(await answer(request))
}
process.stdout.write(JSON.stringify({ answers }))
