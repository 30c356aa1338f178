import { randomBytes } from 'node:crypto';
import { KafkaClients } from '@neuroerp/infra';
import { describeKafkaTransportContract } from './kafka-transport.contract';

// e.g. KAFKA_BROKERS=localhost:9092 with a single-node KRaft broker (.github/workflows/integration.yml).
const brokers = process.env.KAFKA_BROKERS;

describeKafkaTransportContract(
  'kafkajs against a real broker',
  async () => {
    const clients = new KafkaClients({ brokers: (brokers as string).split(','), clientId: 'neuroerp-contract-test' });
    const topicPrefix = `test-${randomBytes(4).toString('hex')}`;
    await clients.ensureTopics(topicPrefix, 3);
    return {
      topicPrefix,
      producer: () => clients.producer(),
      consumer: (groupId) => clients.consumer(groupId),
      dispose: async () => {
        const admin = clients.admin();
        await admin.connect();
        await admin.deleteTopics({ topics: [`${topicPrefix}.ledger`, `${topicPrefix}.documents`, `${topicPrefix}.workflows`, `${topicPrefix}.identity`] }).catch(() => undefined);
        await admin.disconnect();
      },
    };
  },
  { skipReason: brokers ? undefined : 'KAFKA_BROKERS is not set (no Kafka broker on this machine; the relay and consumer logic is unit-tested against an in-memory stand-in in infra/src/kafka and kafka-source.int.test.ts)' },
);
