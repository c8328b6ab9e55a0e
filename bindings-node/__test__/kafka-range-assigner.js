'use strict'
// A range assigner in KafkaJS's documented custom-assigner shape (KafkaJS ships only
// RoundRobinAssigner): each member, in member-id order, gets one contiguous run of each topic's
// partitions. Its different name and shape show which protocol the group voted for and that the
// broker fans out the leader's assignment as given.

const { AssignerProtocol } = require('kafkajs')

const RANGE_ASSIGNER_NAME = 'RangeAssigner'

const RangeAssigner = ({ cluster }) => ({
  name: RANGE_ASSIGNER_NAME,
  version: 0,

  async assign({ members, topics }) {
    const memberIds = members.map(({ memberId }) => memberId).sort()
    const assignment = Object.fromEntries(memberIds.map((id) => [id, {}]))
    for (const topic of topics) {
      const partitions = cluster
        .findTopicPartitionMetadata(topic)
        .map((p) => p.partitionId)
        .sort((a, b) => a - b)
      const each = Math.floor(partitions.length / memberIds.length)
      const extra = partitions.length % memberIds.length
      let next = 0
      memberIds.forEach((id, i) => {
        const count = each + (i < extra ? 1 : 0)
        assignment[id][topic] = partitions.slice(next, next + count)
        next += count
      })
    }
    return memberIds.map((memberId) => ({
      memberId,
      memberAssignment: AssignerProtocol.MemberAssignment.encode({ version: 0, assignment: assignment[memberId] }),
    }))
  },

  protocol({ topics }) {
    return { name: RANGE_ASSIGNER_NAME, metadata: AssignerProtocol.MemberMetadata.encode({ version: 0, topics }) }
  },
})

module.exports = { RangeAssigner, RANGE_ASSIGNER_NAME }
