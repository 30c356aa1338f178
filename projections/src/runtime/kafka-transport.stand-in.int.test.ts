import { InMemoryKafka, kafkaTopics, type InMemoryConsumer } from '@neuroerp/infra';
import { describeKafkaTransportContract } from './kafka-transport.contract';

/*
 * The contract suite run against the in-memory stand-in. This checks the suite itself and the
 * relay/source logic end to end on a real PostgreSQL; it is NOT evidence that the transport
 * works with Kafka — kafka-transport.int.test.ts with KAFKA_BROKERS is.
 */
describeKafkaTransportContract('in-memory stand-in (self-check of the suite, not an integration proof)', async () => {
  const kafka = new InMemoryKafka(3);
  const topicPrefix = 'standin';
  for (const topic of kafkaTopics(topicPrefix)) kafka.createTopic(topic);
  const consumers: { consumer: InMemoryConsumer; joined: boolean }[] = [];
  return {
    topicPrefix,
    producer: () => kafka.producer(),
    consumer: () => {
      const consumer = kafka.consumer();
      consumers.push({ consumer, joined: false });
      return consumer;
    },
    pump: async () => {
      for (const entry of consumers) {
        if (!entry.consumer.running) continue;
        if (!entry.joined) {
          entry.consumer.rebalance();
          entry.joined = true;
        }
        await entry.consumer.drain();
      }
    },
    dispose: async () => undefined,
  };
});
